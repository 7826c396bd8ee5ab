"""Self-attention over the positions of a feature map (SAGAN, Zhang et al. 2019).

Every position attends to every other: with 1x1 convolutions giving queries q, keys k (C/8
channels each) and values v (C/2 channels), the attention map of an image is

    A = softmax_over_keys(q^T k)        (positions x positions; each row sums to 1)

and the block returns x + gamma * W_o(v A^T). gamma starts at 0, so the network begins as the
convolutional one and learns how much non-local evidence to mix in. ``keep_map`` keeps the
last batch's A (``last_map``, detached) for pictures of where each position looks.
"""

import torch
from torch import nn


class SelfAttention(nn.Module):
    def __init__(self, channels: int, wrap=lambda layer: layer):
        super().__init__()
        inner, values = max(channels // 8, 1), max(channels // 2, 1)
        self.query = wrap(nn.Conv2d(channels, inner, 1, bias=False))
        self.key = wrap(nn.Conv2d(channels, inner, 1, bias=False))
        self.value = wrap(nn.Conv2d(channels, values, 1, bias=False))
        self.out = wrap(nn.Conv2d(values, channels, 1, bias=False))
        self.gamma = nn.Parameter(torch.zeros(1))
        self.keep_map = False
        self.last_map = None  # (N, H*W queries, H*W keys) of the last forward, when keep_map

    def attention_map(self, x: torch.Tensor) -> torch.Tensor:
        """A: (N, H*W, H*W), row i the weights position i gives every position (row-major)."""
        q, k = self.query(x).flatten(2), self.key(x).flatten(2)
        return torch.softmax(q.transpose(1, 2) @ k, dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, _, h, w = x.shape
        attention = self.attention_map(x)
        if self.keep_map:
            self.last_map = attention.detach()
        mixed = self.value(x).flatten(2) @ attention.transpose(1, 2)  # (N, C/2, H*W): values weighted per query
        return x + self.gamma * self.out(mixed.view(n, -1, h, w))
