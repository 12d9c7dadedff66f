namespace Microsoft.ML.PromptLearning.Training;

/// <summary>Shape of the learning rate after warmup.</summary>
public enum DecayShape
{
    /// <summary>Linear from the peak to zero at the last step (PaddleNLP / HF default).</summary>
    Linear,
    /// <summary>Half a cosine from the peak to zero at the last step.</summary>
    Cosine,
    /// <summary>Constant after warmup.</summary>
    Constant,
}

/// <summary>Learning-rate multiplier at a step: linear warmup from 0 to 1, then decay to 0 at <c>totalSteps</c>.</summary>
internal static class LearningRateSchedule
{
    /// <summary>The multiplier (0..1) for the update that follows step <paramref name="step"/> (0-based).</summary>
    public static double Factor(long step, long warmupSteps, long totalSteps, DecayShape shape)
    {
        if (warmupSteps > 0 && step < warmupSteps) return (step + 1.0) / warmupSteps;
        if (shape == DecayShape.Constant || totalSteps <= warmupSteps) return 1.0;
        double progress = Math.Clamp((double)(step - warmupSteps) / (totalSteps - warmupSteps), 0, 1);
        return shape == DecayShape.Cosine ? 0.5 * (1 + Math.Cos(Math.PI * progress)) : 1 - progress;
    }
}
