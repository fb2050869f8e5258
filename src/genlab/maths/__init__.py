"""Small pure tensor functions shared by several layers: Gaussian densities and KLs, latent paths."""
