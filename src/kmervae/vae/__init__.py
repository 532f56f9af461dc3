"""The three-branch VAE: its settings (config, no TensorFlow), batches streamed from
feature matrices (data), the Keras model (model), training (training) and embedding
(embedding). Uses kmervae.features.matrix for the column layout; knows nothing of binning.

``import kmervae.vae.model`` (or ``kmervae.vae.model.load_vae``) registers the model's
layers with Keras, so that ``keras.saving.load_model`` can read a saved ``vae.keras``.
"""
