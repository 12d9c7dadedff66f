// usage: ModelZipScorer <model.zip> <texts.txt> <scores.json>   (one text per line; writes one float[] per text)
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;

if (args.Length != 3)
{
    Console.Error.WriteLine("usage: ModelZipScorer <model.zip> <texts.txt> <scores.json>");
    return 2;
}
var ml = new MLContext();
var model = ml.Model.Load(args[0], out _);
var rows = File.ReadAllLines(args[1]).Select(t => new Row { Text = t });
var scores = model.Transform(ml.Data.LoadFromEnumerable(rows)).GetColumn<float[]>("Score").ToArray();
File.WriteAllText(args[2], JsonSerializer.Serialize(scores));
return 0;

internal sealed class Row
{
    public string Text { get; set; }
    public string Label { get; set; } = "";
}
