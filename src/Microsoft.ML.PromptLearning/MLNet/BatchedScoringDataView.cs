using Microsoft.ML.Data;
using Microsoft.ML.PromptLearning.Inference;

namespace Microsoft.ML.PromptLearning.MLNet;

/// <summary>
/// The result of <c>Transform</c>: the input columns plus PredictedLabel and Score, scored in batches. Its cursor runs a
/// second, look-ahead cursor over the input's text columns, scores the next chunk of rows in one go (sorted by length,
/// dynamically padded) and serves the results row by row in step with the main cursor. IDataView cursoring is
/// repeatable, so both cursors see the same rows in the same order.
/// </summary>
internal sealed class BatchedScoringDataView : IDataView
{
    private readonly IDataView input;
    private readonly string textColumn, textPairColumn;
    private readonly ScoringSettings settings;
    private readonly Func<IReadOnlyList<TextRow>, float[][]> score;
    private readonly int chunkSize;
    private readonly int inputColumnCount;

    public BatchedScoringDataView(IDataView input, DataViewSchema.DetachedColumn[] outputColumns, ScoringSettings settings,
        Func<IReadOnlyList<TextRow>, float[][]> score, int chunkSize)
    {
        this.input = input;
        this.settings = settings;
        textColumn = settings.TextColumn;
        textPairColumn = settings.TextPairColumn;
        this.score = score;
        this.chunkSize = Math.Max(1, chunkSize);
        inputColumnCount = input.Schema.Count;
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input.Schema);
        foreach (var c in outputColumns) builder.AddColumn(c.Name, c.Type, c.Annotations);
        Schema = builder.ToSchema();
    }

    public DataViewSchema Schema { get; }
    public bool CanShuffle => false;
    public long? GetRowCount() => input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random rand = null)
    {
        var needed = columnsNeeded.ToList();
        var inputNeeded = needed.Where(c => c.Index < inputColumnCount).Select(c => input.Schema[c.Index]).ToList();
        bool outputsNeeded = needed.Any(c => c.Index >= inputColumnCount);
        return new Cursor(this, input.GetRowCursor(inputNeeded), outputsNeeded);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random rand = null) =>
        new[] { GetRowCursor(columnsNeeded, rand) };

    private sealed class Cursor : DataViewRowCursor
    {
        private readonly BatchedScoringDataView parent;
        private readonly DataViewRowCursor main;
        private readonly DataViewRowCursor ahead;
        private readonly Func<TextRow> read;
        private float[][] chunk = [];
        private long chunkStart;
        private long position = -1;

        public Cursor(BatchedScoringDataView parent, DataViewRowCursor main, bool outputsNeeded)
        {
            this.parent = parent;
            this.main = main;
            if (!outputsNeeded) return;
            var text = parent.input.Schema[parent.textColumn];
            var cols = new List<DataViewSchema.Column> { text };
            DataViewSchema.Column? pair = string.IsNullOrEmpty(parent.textPairColumn) ? null : parent.input.Schema[parent.textPairColumn];
            if (pair is { } p) cols.Add(p);
            ahead = parent.input.GetRowCursor(cols);
            read = InputColumns.TextGetter(ahead, text.Index, pair?.Index ?? -1);
        }

        public override DataViewSchema Schema => parent.Schema;
        public override long Position => position;
        public override long Batch => 0;
        public override ValueGetter<DataViewRowId> GetIdGetter() => main.GetIdGetter();
        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index >= parent.inputColumnCount ? ahead is not null : main.IsColumnActive(main.Schema[column.Index]);

        public override bool MoveNext()
        {
            if (!main.MoveNext()) return false;
            position++;
            if (ahead is not null && position >= chunkStart + chunk.Length) FillChunk();
            return true;
        }

        private void FillChunk()
        {
            var rows = new List<TextRow>(parent.chunkSize);
            while (rows.Count < parent.chunkSize && ahead.MoveNext()) rows.Add(read());
            chunkStart = position;
            chunk = parent.score(rows);
        }

        private float[] Current => chunk[position - chunkStart];

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index < parent.inputColumnCount) return main.GetGetter<TValue>(main.Schema[column.Index]);
            if (ahead is null) throw new InvalidOperationException($"Column '{column.Name}' was not requested when the cursor was created.");
            var getter = ScoreSchema.Getters(i => i == column.Index - parent.inputColumnCount, () => Current, parent.settings)[column.Index - parent.inputColumnCount];
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}.");
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                main.Dispose();
                ahead?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
