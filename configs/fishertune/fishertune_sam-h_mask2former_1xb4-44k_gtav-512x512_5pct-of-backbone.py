# fishertune_sam-h_mask2former_1xb4-44k_gtav-512x512.py with delta_max = 5 % of SAM-H's 632,134,400 parameters
# (31,606,720 tuned), the literal "5 % of the backbone" reading (the ViT-L rows' rule applied to
# SAM-H), against the 15.21M Table 1 lists.
_base_ = ['./fishertune_sam-h_mask2former_1xb4-44k_gtav-512x512.py']
model = dict(fishertune=dict(delta_min=0.01, delta_max=0.05))
