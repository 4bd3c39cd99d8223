"""Evaluation of generative models: reference classifiers, metrics, callback.

Sample quality is measured in the feature space of small reference
classifiers trained on MNIST and Fashion-MNIST and shipped with the package
(`load_reference_classifier`), since Inception-based scores need ImageNet
weights and suit 28x28 grey images poorly: the Fréchet Classifier Distance (FCD, not the FID), the
classifier score (the Inception Score with the reference classifier), class
coverage and k-NN precision/recall, with the real-data floor beside them.
Likelihoods: the negative ELBO and an importance-weighted NLL of the VAE.

```python
from keras_gen import evaluation

scores = evaluation.generator_quality(gan, "mnist")  # 10,000 samples
floor = evaluation.real_data_floor("mnist")
print(scores["fcd"], floor["fcd"])
```
"""

from keras_gen.evaluation.callback import SampleQuality
from keras_gen.evaluation.classifiers import (
    ReferenceClassifier,
    build_classifier,
    load_classifier_info,
    load_reference_classifier,
    to_unit_range,
)
from keras_gen.evaluation.metrics import (
    can_generate,
    class_coverage,
    classification_error,
    classifier_score,
    code_accuracy,
    code_probes,
    pair_agreement,
    conditional_accuracy,
    frechet_distance,
    frechet_distance_from_statistics,
    gaussian_statistics,
    generator_quality,
    importance_weighted_nll,
    infer_value_range,
    negative_elbo,
    precision_recall,
    real_data_floor,
    reconstruction_error,
    reference_features,
    sample_quality,
)

__all__ = [
    "ReferenceClassifier",
    "SampleQuality",
    "can_generate",
    "build_classifier",
    "class_coverage",
    "classification_error",
    "classifier_score",
    "code_accuracy",
    "code_probes",
    "pair_agreement",
    "conditional_accuracy",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "gaussian_statistics",
    "generator_quality",
    "importance_weighted_nll",
    "infer_value_range",
    "load_classifier_info",
    "load_reference_classifier",
    "negative_elbo",
    "precision_recall",
    "real_data_floor",
    "reconstruction_error",
    "reference_features",
    "sample_quality",
    "to_unit_range",
]
