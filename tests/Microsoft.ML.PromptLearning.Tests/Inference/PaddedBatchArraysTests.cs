using Microsoft.ML.PromptLearning.Inference;
using static TorchSharp.torch;

namespace Microsoft.ML.PromptLearning.Tests.Inference;

public class PaddedBatchArraysTests
{
    private const int Pad = 7;

    private static EncodedExample Example(int[] ids, int[] positions = null, int[] soft = null, int[] masks = null, int label = -1) => new()
    {
        InputIds = ids, TokenTypeIds = ids.Select(_ => 1).ToArray(), PositionIds = positions, SoftTokenIds = soft, MaskPositions = masks ?? [], Label = label,
    };

    [Fact]
    public void PadsEveryRowToTheLongestWithPadIdsAndZeros()
    {
        var a = PaddedBatchArrays.Pad([Example([1, 2, 3], masks: [1]), Example([4], masks: [0])], Pad);
        Assert.Equal(2, a.BatchSize);
        Assert.Equal(3, a.Length);
        Assert.Equal(new long[] { 2, 3 }, a.Shape);
        Assert.Equal(new long[] { 2, 1 }, a.MaskShape);
        Assert.Equal(new long[] { 1, 2, 3, 4, Pad, Pad }, a.InputIds);
        Assert.Equal(new long[] { 1, 1, 1, 1, 0, 0 }, a.TokenTypeIds);
        Assert.Equal(new long[] { 1, 1, 1, 1, 0, 0 }, a.AttentionMask);
        Assert.Equal(new long[] { 1, 0 }, a.MaskPositions);
        Assert.Null(a.PositionIds);
        Assert.Null(a.SoftTokenIds);
    }

    [Fact]
    public void OptionalInputsGetDefaultsWhenAskedForOrWhenSomeRowHasThem()
    {
        var all = PaddedBatchArrays.Pad([Example([1, 2]), Example([3])], Pad, allInputs: true);
        Assert.Equal(new long[] { 0, 1, 0, 0 }, all.PositionIds);
        Assert.Equal(new long[] { 0, 0, 0, 0 }, all.SoftTokenIds);

        var mixed = PaddedBatchArrays.Pad([Example([1, 2], positions: [0, 5], soft: [2, 0]), Example([3, 4, 5])], Pad);
        Assert.Equal(new long[] { 0, 5, 0, 0, 1, 2 }, mixed.PositionIds);
        Assert.Equal(new long[] { 2, 0, 0, 0, 0, 0 }, mixed.SoftTokenIds);
    }

    [Fact]
    public void RowsWithDifferentMaskCountsAreRejected()
    {
        Assert.Throws<InvalidOperationException>(() => PaddedBatchArrays.Pad([Example([1], masks: [0]), Example([1])], Pad));
        Assert.Throws<ArgumentException>(() => PaddedBatchArrays.Pad([], Pad));
    }

    [Fact]
    public void ClassifierBatchHoldsTheSameValuesAsTensors()
    {
        var examples = new[] { Example([1, 2, 3], positions: [0, 1, 2], masks: [2], label: 1), Example([4], masks: [0], label: 0) };
        var a = PaddedBatchArrays.Pad(examples, Pad);
        using var scope = NewDisposeScope();
        var batch = ClassifierBatch.Collate(examples, CPU, Pad);
        Assert.Equal(a.Shape, batch.InputIds.shape);
        Assert.Equal(a.InputIds, batch.InputIds.data<long>().ToArray());
        Assert.Equal(a.TokenTypeIds, batch.TokenTypeIds.data<long>().ToArray());
        Assert.Equal(a.AttentionMask, batch.AttentionMask.data<long>().ToArray());
        Assert.Equal(a.PositionIds, batch.PositionIds.data<long>().ToArray());
        Assert.Null(batch.SoftTokenIds);
        Assert.Equal(a.MaskPositions, batch.MaskPositions.data<long>().ToArray());
        Assert.Equal(new long[] { 1, 0 }, batch.Labels.data<long>().ToArray());
        Assert.Null(ClassifierBatch.Collate([Example([1], masks: [0])], CPU, Pad).Labels);
    }

    [Fact]
    public void ModelInputsAreFedByName()
    {
        var a = PaddedBatchArrays.Pad([Example([1, 2, 3], masks: [2]), Example([4, 5], masks: [1])], Pad, allInputs: true);
        Assert.Same(a.InputIds, a.Input("input_ids"));
        Assert.Same(a.AttentionMask, a.Input("attention_mask"));
        Assert.Same(a.TokenTypeIds, a.Input("token_type_ids"));
        Assert.Same(a.PositionIds, a.Input("position_ids"));
        Assert.Same(a.SoftTokenIds, a.Input("soft_token_ids"));
        Assert.Same(a.MaskPositions, a.Input("mask_positions"));
        Assert.Equal(new long[] { 2, 3 }, a.InputShape("input_ids"));
        Assert.Equal(new long[] { 2, 1 }, a.InputShape("mask_positions"));
        var e = Assert.Throws<InvalidDataException>(() => a.Input("pixel_values"));
        Assert.Contains("'pixel_values'", e.Message);
    }
}
