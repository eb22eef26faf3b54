"""DSF-GAN trainer: one loop for the CPU, one GPU, and many GPUs or nodes under torchrun.

    fontgen train gan --config cpu --data /work/data/ds64 --ocr runs/ocr/last.pth --out runs/gan
    fontgen train gan --config cpu --data /work/data/ds64 --ocr runs/ocr/last.pth --out runs/gan --resume
    torchrun --nproc_per_node=4 -m training.trainer --config paper --data DIR --ocr CKPT --out runs/gan

Each iteration: the generator runs once; the discriminator steps on real vs detached fake; then the
generator steps on the weighted named losses with the discriminator frozen; the EMA generator
follows. The EMA generator makes the sample grids and is what export uses.
"""

from __future__ import annotations

import copy
import hashlib
import time
from pathlib import Path

import torch
from tqdm import tqdm

from fontgen.errors import InputError
from training import augment, checkpoint, config, datasets, losses, preview, runtime
from training.config import Config
from training.models import GeneratorStep, build_discriminator, build_generator


def tensorboard(out_dir: Path):
    """A SummaryWriter when the tensorboard package is installed, else None."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(out_dir / "tb"))


def update_ema(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    with torch.no_grad():
        for e, p in zip(ema.parameters(), model.parameters()):
            e.lerp_(p, 1.0 - decay)
        for e, b in zip(ema.buffers(), model.buffers()):
            e.copy_(b)


def weights_digest(*modules: torch.nn.Module) -> str:
    """SHA-256 of every parameter; saved per rank so a checkpoint shows DDP ranks stayed in sync."""
    h = hashlib.sha256()
    for module in modules:
        for p in module.parameters():
            h.update(p.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()


def clip(params, max_norm: float) -> None:
    if max_norm > 0:
        torch.nn.utils.clip_grad_norm_(params, max_norm)


def load_data(cfg: Config, data_dir: Path, rt: runtime.Runtime, seed: int):
    """Pack the caches on rank 0 first, then open them everywhere; build the sampler."""
    if rt.master:
        datasets.load_split(data_dir, "train")
        datasets.load_split(data_dir, "template")
    rt.barrier()
    train, templates = datasets.load_split(data_dir, "train"), datasets.load_split(data_dir, "template")
    unseen = datasets.read_manifest(data_dir).get("unseen_chars", "")
    if cfg.data.batch % rt.world:
        raise InputError(f"data.batch {cfg.data.batch} does not split over {rt.world} processes",
                         None, "choose a batch divisible by the process count")

    content = None
    if cfg.model.content_font:
        from fontgen.templates import content_ink

        content = content_ink([templates.charset[c] for c in templates.char_id], templates.ink,
                              cfg.model.content_font, cfg.model.size)

    augmenter, eligible = augment.Augmenter(cfg.augment), None
    if cfg.augment.writers == "fonts":
        kinds = {w["name"]: w.get("kind") for w in datasets.read_manifest(data_dir).get("writers", [])}
        eligible = [kinds.get(w) == "font" for w in train.writers]

    def sampler(s, aug=True):
        return datasets.GanSampler(train, templates, unseen, cfg.data.refs_min, cfg.data.refs_max,
                                   cfg.data.batch // rt.world, cfg.data.writers_per_batch, seed=s, content=content,
                                   augmenter=augmenter if aug else None, eligible=eligible,
                                   full_ink=cfg.data.full_ink)
    return train, sampler(seed), sampler


def train_gan(cfg: Config, data_dir: str | Path, ocr_path: str | Path, out_dir: str | Path,
              resume: bool = False, log=print, on_iteration=None) -> list[dict]:
    """Train (or resume) a DSF-GAN run in `out_dir`; returns per-iteration losses of this process."""
    rt = runtime.start(cfg.train.device, cfg.train.amp, cfg.train.seed)
    try:
        return _train(cfg, Path(data_dir), Path(ocr_path), Path(out_dir), resume, rt, log, on_iteration)
    finally:
        rt.finish()


def _train(cfg, data_dir, ocr_path, out_dir, resume, rt, log, on_iteration):
    dev, tc = rt.device, cfg.train
    last = checkpoint.last_in(out_dir, resume)
    critic, critic_charset = checkpoint.load_critic(ocr_path)     # a bad checkpoint is refused before any work
    state = checkpoint.load(last, map_location=dev) if resume else None
    datasets.check(data_dir)  # a wrong --data is refused before the run folder is made
    if rt.master:
        checkpoint.open_run(cfg, out_dir, last, rt, log)
        log(f"samples:     {out_dir / 'samples'}/NNNNNN.png")

    train, sampler, make_sampler = load_data(cfg, data_dir, rt, seed=tc.seed * 7919 + rt.rank)
    fixed = make_sampler(10_000 + tc.seed, aug=False).sample()  # the same preview rows every run, unaugmented
    critic = critic.to(dev).requires_grad_(False)
    index = {c: i for i, c in enumerate(critic_charset)}
    to_critic = torch.tensor([index.get(c, -1) for c in train.charset], device=dev)

    gen = build_generator(cfg.model).to(dev)
    disc = build_discriminator(cfg.model).to(dev)
    ema = copy.deepcopy(gen).eval().requires_grad_(False)
    step_g = rt.wrap(GeneratorStep(gen, restyle=cfg.loss.gram_form == "seed"))
    step_d = rt.wrap(disc)
    oc = cfg.optim
    opt_g = torch.optim.Adam(gen.parameters(), lr=oc.lr_g, betas=oc.betas, weight_decay=oc.weight_decay)
    opt_d = torch.optim.Adam(disc.parameters(), lr=oc.lr_d, betas=oc.betas, weight_decay=oc.weight_decay)
    scaler_g, scaler_d = rt.scaler(), rt.scaler()
    start, origin = 0, {}
    if resume:
        gen.load_state_dict(state["generator"])
        ema.load_state_dict(state["generator_ema"])
        disc.load_state_dict(state["discriminator"])
        opt_g.load_state_dict(state["opt_g"])
        opt_d.load_state_dict(state["opt_d"])
        scaler_g.load_state_dict(state["scaler_g"])
        scaler_d.load_state_dict(state["scaler_d"])
        start = state["iteration"]
        origin = {k: state[k] for k in checkpoint.PROVENANCE if k in state}  # provenance travels on
        per_rank = state["rank_states"]
        if len(per_rank) == rt.world:
            runtime.set_rng_state(per_rank[rt.rank]["rng"])
            sampler.rng.bit_generator.state = per_rank[rt.rank]["sampler"]
        elif rt.master:
            log(f"note: checkpoint was written by {len(per_rank)} processes, now {rt.world}; data order reseeded")
        if rt.master:
            log(f"resumed at iteration {start}")

    def save(iteration):
        ranks = rt.gather({"rng": runtime.rng_state(), "sampler": sampler.rng.bit_generator.state,
                           "weights_sha256": weights_digest(gen, disc)})
        if rt.master:
            checkpoint.save({
                "iteration": iteration, "model_config": gen.config_dict(), "config": config.to_dict(cfg),
                "generator": gen.state_dict(), "generator_ema": ema.state_dict(),
                "discriminator": disc.state_dict(), "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(),
                "scaler_g": scaler_g.state_dict(), "scaler_d": scaler_d.state_dict(), "rank_states": ranks,
                "ocr_charset": critic_charset, **origin,
            }, out_dir, iteration, tc.keep)

    def sample_grid(iteration):
        with torch.no_grad():
            refs = torch.from_numpy(fixed.refs[:8]).to(dev)
            fake = ema(refs, torch.from_numpy(fixed.templates[:8]).to(dev)).float().cpu().numpy()
        path = out_dir / "samples" / f"{iteration:06d}.png"
        preview.save_grid(path, preview.grid(fixed.refs[:8], fixed.templates[:8, :1], fake, fixed.targets[:8]))

    writer = tensorboard(out_dir) if rt.master else None
    history, began = [], time.monotonic()
    bar = tqdm(range(start, tc.iterations), initial=start, total=tc.iterations, desc="gan",
               disable=None if rt.master else True)
    for it in bar:
        runtime.set_lr(opt_g, runtime.learning_rate(it, oc.lr_g, oc.warmup, tc.iterations, oc.decay_to))
        runtime.set_lr(opt_d, runtime.learning_rate(it, oc.lr_d, oc.warmup, tc.iterations, oc.decay_to))
        batch = sampler.sample()
        refs, templates, targets = (torch.from_numpy(a).to(dev) for a in (batch.refs, batch.templates, batch.targets))
        writer_id = torch.from_numpy(batch.writer_id).to(dev)
        char_id = to_critic[torch.from_numpy(batch.char_id).to(dev)]

        with rt.autocast():
            fake, z, structure, restructure, writer_style, restyled = step_g(refs, templates)

        disc.requires_grad_(True)
        with rt.autocast():
            logits = step_d(torch.cat([targets, fake.detach()]))
            n = len(targets)
            loss_d = losses.d_adversarial([l[:n] for l in logits], [l[n:] for l in logits], cfg.loss.adversarial)
        opt_d.zero_grad(set_to_none=True)
        scaler_d.scale(loss_d).backward()
        scaler_d.unscale_(opt_d)
        clip(disc.parameters(), oc.grad_clip)
        scaler_d.step(opt_d)
        scaler_d.update()

        disc.requires_grad_(False)                             # frozen for the generator's backward
        with rt.autocast():
            cls_logits, fake_feat = critic.features(fake)
            with torch.no_grad():
                _, real_feat = critic.features(targets)
            terms = {
                "adv": losses.g_adversarial(disc(fake), cfg.loss.adversarial),
                "cls": losses.classification(cls_logits.float(), char_id),
                "structure": losses.structure_consistency(restructure, structure),
                "contrastive": losses.supervised_contrastive(z.float(), writer_id, cfg.loss.temperature),
                "gram": (losses.seed_gram(restyled.float(), writer_style.float()) if restyled is not None
                         else losses.gram_style(fake_feat.float(), real_feat.float())),
                "outline": losses.outline(fake.float(), targets),
                "l1": torch.nn.functional.l1_loss(fake.float(), targets),
                "contour": losses.contour(fake.float(), targets, cfg.loss.contour_sharpness),
            }
            if cfg.loss.counters:
                mask = losses.counter_mask(targets, cfg.loss.counters_ring)
                terms["counters"] = losses.counters(fake.float(), targets, mask)
            loss_g = losses.weighted(terms, cfg.loss)
        opt_g.zero_grad(set_to_none=True)
        scaler_g.scale(loss_g).backward()
        scaler_g.unscale_(opt_g)
        clip(gen.parameters(), oc.grad_clip)
        scaler_g.step(opt_g)
        scaler_g.update()
        update_ema(ema, gen, min(oc.ema, (1 + it) / (10 + it)))

        record = {"iteration": it + 1, "d": loss_d.item(), "g": loss_g.item(),
                  **{k: v.item() for k, v in terms.items()}}
        if on_iteration:
            on_iteration()
        history.append(record)
        if rt.master and ((it + 1) % tc.log_every == 0 or it == start):
            bar.set_postfix({k: f"{v:.3f}" for k, v in record.items() if k != "iteration"}, refresh=False)
            if writer:
                for k, v in record.items():
                    if k != "iteration":
                        writer.add_scalar(f"loss/{k}", v, it + 1)
        if rt.master and tc.sample_every and (it + 1) % tc.sample_every == 0:
            sample_grid(it + 1)
        out_of_time = tc.max_minutes > 0 and time.monotonic() - began > tc.max_minutes * 60
        stop = rt.any_true(out_of_time)
        if stop or (tc.save_every and (it + 1) % tc.save_every == 0):
            save(it + 1)
        if stop:
            if rt.master:
                log(f"time budget of {tc.max_minutes} min reached at iteration {it + 1}")
            break
    else:
        if history and (not tc.save_every or tc.iterations % tc.save_every):
            save(tc.iterations)
    bar.close()
    if rt.master and history:
        sample_grid(history[-1]["iteration"])
        log(f"done at iteration {history[-1]['iteration']}: {last}")
    if writer:
        writer.close()
    return history


def main(argv=None) -> None:
    """`python -m training.trainer …`, for torchrun (the same options as `fontgen train gan`)."""
    import argparse

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", default="cpu")
    p.add_argument("--data", required=True)
    p.add_argument("--ocr", required=True)
    p.add_argument("--out", default="runs/gan")
    p.add_argument("--resume", action="store_true")
    p.add_argument("overrides", nargs="*")
    a = p.parse_args(argv)
    train_gan(config.load(a.config, a.overrides), a.data, a.ocr, a.out, a.resume)


if __name__ == "__main__":
    main()
