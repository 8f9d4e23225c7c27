"""The reference's own Kodak evaluation of a checkpoint, as JSON: per-image means
of bpp_y and bpp_z (from the likelihoods) and PSNR of the 8-bit output, with z
rounded to integers (as semcodec codes it) and around the bottleneck's medians
(as the reference does).

    /usr/bin/python3 reference_eval.py CHECKPOINT.pt KODAK_DIR REFERENCE_DIR
"""
import glob
import json
import math
import os
import sys

import numpy as np
import torch
from PIL import Image

ckpt, data, refdir = sys.argv[1:4]
sys.path.insert(0, refdir)
import hyper  # noqa: E402  (the measuring instrument, imported where it lies)

sd = torch.load(ckpt, map_location="cpu")["net"]
# Widths from the weights: g_a.0 is N x 3, g_a.6 is M x N, h_a.0 is NH x M.
net = hyper.ScaleHyperprior(sd["g_a.0.weight"].shape[0], sd["g_a.6.weight"].shape[0], sd["h_a.0.weight"].shape[0])
net.load_state_dict(sd)
net.eval()
eb, gc = net.entropy_bottleneck, net.gaussian_conditional


def z_integer(z):
    zh = torch.round(z)
    B, C, h, w = z.shape
    lik = eb.likelihood_lb(eb._likelihood(zh.permute(1, 0, 2, 3).reshape(C, 1, -1)))
    return zh, lik.reshape(C, B, h, w).permute(1, 0, 2, 3)


files = sorted(glob.glob(os.path.join(data, "*.png")))
if not files:
    sys.exit("reference_eval.py: no .png images in " + data)
rows = {"integer_z": [], "median_z": []}
with torch.no_grad():
    for f in files:
        x = torch.from_numpy(np.asarray(Image.open(f).convert("RGB")).copy()).permute(2, 0, 1)[None].float() / 255
        H, W = x.shape[2:]
        if H % 64 or W % 64:
            sys.exit("reference_eval.py: %s is %dx%d, not a multiple of 64 (no padding here)" % (f, W, H))
        y = net.g_a(x)
        z = net.h_a(torch.abs(y))
        for mode, (zh, zl) in (("integer_z", z_integer(z)), ("median_z", eb(z))):
            yh, yl = gc(y, net.h_s(zh))
            mse = ((net.g_s(yh).clamp(0, 1) * 255).round() - x * 255).pow(2).mean().item()
            rows[mode].append((-torch.log2(yl).sum().item() / (H * W), -torch.log2(zl).sum().item() / (H * W),
                               10 * math.log10(255 ** 2 / mse)))
out = {"images": len(files)}
for mode, rs in rows.items():
    by, bz, psnr = (sum(c) / len(rs) for c in zip(*rs))
    out[mode] = {"bpp": by + bz, "bpp_y": by, "bpp_z": bz, "psnr": psnr}
print(json.dumps(out, indent=1))
