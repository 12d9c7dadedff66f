namespace Microsoft.ML.PromptLearning.Ernie;

/// <summary>
/// The architecture family of a checkpoint (<c>model_type</c> in <c>config.json</c>, written <c>ernie</c> or <c>bert</c>):
/// BERT is ERNIE without task-type embeddings; the family also selects the parameter-name prefix used when saving.
/// </summary>
public enum ErnieModelType
{
    /// <summary>ERNIE (<c>ernie.</c> parameter names; task-type embeddings when the config has them).</summary>
    Ernie,
    /// <summary>BERT (<c>bert.</c> parameter names; no task-type embeddings).</summary>
    Bert,
}
