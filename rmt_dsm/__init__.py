"""rmt_dsm: exact high-dimensional learning curves of denoising score matching
with a random-features score (see SPEC and docs/)."""
__version__ = "0.1.0"
