# FisherTune's model settings (FisherTune paper), shared by the model files of every VFM: the VFM is built
# trainable (freeze_vit=False) and FisherTuneEncoderDecoder decides which of its elements train.
# Values the paper does not give in its main text (delta_min, gamma, tau, estimator lr, perturbation
# site) are our choices; docs/fishertune.md explains each.
fishertune_model = dict(
    type='FisherTuneEncoderDecoder',
    backbone=dict(freeze_vit=False),
    fishertune=dict(
        groups=('q', 'k', 'v', 'ffn'),  # Eq. 3
        score='drf',  # DR-FIM (Eq. 7 / 15)
        delta_min=0.01,
        delta_max=0.05,  # 5 % of ViT-L = 15.21M (Table 1)
        fraction_of='backbone',
        schedule='text',  # delta grows delta_min -> delta_max; 'eq16' = Eq. 16 as printed
        drf_formula='printed',  # Eq. 15 as printed; 'substituted' = Eq. 14 put into Eq. 7
        balance='mean',  # F and Delta F terms rescaled to mean 1 before the sum; 'none' = as printed
        # SGVB on Eq. 11 with Eq. 12's Fisher curvature ('hessian': the reparameterization
        # gradient, which ranks at chance on a ViT), log-precision iterates averaged over the last
        # half of each of two chains (docs/fishertune.md, "Estimator quality")
        estimator=dict(
            method='variational',
            curvature='fisher',
            average=0.5,
            gamma=1e-9,
            tau=1e-3,
            lr=0.05,
            antithetic=True,
            noise_std=1.0,
            perturb_at='vit.patch_embed')))
