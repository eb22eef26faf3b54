"""Model builders: `build_generator(ModelConfig)`, `build_discriminator(ModelConfig)`,
`build_critic(CriticConfig, classes)`."""

from training.config import CriticConfig, ModelConfig
from training.models.critic import Critic
from training.models.discriminator import MultiScaleDiscriminator
from training.models.generator import Generator, GeneratorStep


def build_generator(cfg: ModelConfig) -> Generator:
    return Generator(cfg)


def build_discriminator(cfg: ModelConfig) -> MultiScaleDiscriminator:
    return MultiScaleDiscriminator(cfg.d_base, cfg.d_scales)


def build_critic(cfg: CriticConfig, classes: int) -> Critic:
    return Critic(cfg.base, classes)


__all__ = ["Critic", "Generator", "GeneratorStep", "MultiScaleDiscriminator",
           "build_critic", "build_discriminator", "build_generator"]
