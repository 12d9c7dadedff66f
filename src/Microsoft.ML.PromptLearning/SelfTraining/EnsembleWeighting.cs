namespace Microsoft.ML.PromptLearning;

/// <summary>How the members of an ensemble are weighted when their class probabilities are averaged.</summary>
public enum EnsembleWeighting
{
    /// <summary>Every member counts the same (PET's <c>mean</c>).</summary>
    Mean,
    /// <summary>Each member is weighted by its accuracy on the validation set (PET's <c>wmean</c>, which uses the training set before training).</summary>
    ValidationAccuracy,
}
