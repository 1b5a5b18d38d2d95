using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PeerManagement.Simulation;

/// <summary>The hourly figures of a run, printed as a table; the same settings and seed print the same text.</summary>
internal sealed class ScenarioReport(ScenarioSettings settings)
{
    private readonly List<HourFigures> _hours = [];
    private readonly Dictionary<string, int> _departed = [];
    private readonly Dictionary<string, int> _lastAnswered = [];

    public ScenarioSettings Settings { get; } = settings;

    public IReadOnlyList<HourFigures> Hours => _hours;

    public double MessagesPerNodeHour { get; set; }

    /// <summary>Managed memory per honest node at the end of the run (a measurement, not part of the repeatable text).</summary>
    public double BytesPerNode { get; set; }

    /// <summary>Hours from a node's departure to the last hour any live node still named it in its answer.</summary>
    public IReadOnlyList<int> DeadInAnswersHours =>
        [.. _departed.Where(d => d.Value < _hours[^1].Hour).Select(d => Math.Max(0, _lastAnswered.GetValueOrDefault(d.Key, d.Value) - d.Value)).Order()];

    /// <summary>The first hour at which every node held at least 8 honest good peers (or all the others in a smaller network).</summary>
    public int? ConvergedHour => _hours.FirstOrDefault(h => h.MinHonestGood >= Math.Min(8, h.Nodes - 1))?.Hour;

    public void Departed(string host, int hour) => _departed[host] = hour;

    public void Add(int hour, IReadOnlyList<NodeView> views, NodeView? victim)
    {
        foreach (var host in views.SelectMany(v => v.AnswerHosts))
        {
            if (_departed.ContainsKey(host))
            {
                _lastAnswered[host] = hour;
            }
        }

        _hours.Add(new HourFigures(
            hour,
            views.Count,
            views.Average(v => v.Table),
            views.Max(v => v.Table),
            views.Average(v => v.Good),
            views.Min(v => v.HonestGood),
            views.Min(v => v.GoodHonestFraction),
            views.Average(v => v.GoodHonestFraction),
            views.Min(v => v.AnswerHonestFraction),
            views.Average(v => v.AnswerHonestFraction),
            victim?.HonestGood,
            views.Max(v => v.Good - v.HonestGood),
            views.Max(v => v.Answered - v.HonestAnswered)));
    }

    /// <summary>The figures as JSON, for the tests.</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        Settings = Settings.ToString(),
        Hours,
        ConvergedHour,
        MessagesPerNodeHour,
        DeadInAnswersHours,
        BytesPerNode,
    });

    public override string ToString()
    {
        var text = new StringBuilder();
        var c = CultureInfo.InvariantCulture;
        text.AppendLine(Settings.ToString());
        text.AppendLine("hour  nodes   table (avg/max)    good  min honest good  honest in table (min/avg)  honest in answers (min/avg)  victim's honest good");
        foreach (var h in _hours)
        {
            text.AppendLine(string.Create(c, $"{h.Hour,4}  {h.Nodes,5}  {h.AvgTable,7:F1} / {h.MaxTable,-6}  {h.AvgGood,6:F1}  {h.MinHonestGood,15}  {h.MinGoodHonest,12:P1} / {h.AvgGoodHonest,-10:P1}  {h.MinAnswerHonest,13:P1} / {h.AvgAnswerHonest,-12:P1}  {(h.VictimHonestGood?.ToString(c) ?? "-"),20}"));
        }

        text.AppendLine(string.Create(c, $"converged (every node ≥ 8 honest good peers): {(ConvergedHour is { } hour ? $"hour {hour}" : "no")}"));
        text.AppendLine(string.Create(c, $"messages sent per node and hour: {MessagesPerNodeHour:F1}"));
        if (DeadInAnswersHours is { Count: > 0 } dead)
        {
            text.AppendLine(string.Create(c, $"a departed node stays in some answer for: median {dead[dead.Count / 2]} h, max {dead[^1]} h ({dead.Count} departures)"));
        }

        return text.ToString();
    }
}

/// <summary>The figures of one hour, over the live honest nodes.</summary>
internal sealed record HourFigures(
    int Hour,
    int Nodes,
    double AvgTable,
    int MaxTable,
    double AvgGood,
    int MinHonestGood,
    double MinGoodHonest,
    double AvgGoodHonest,
    double MinAnswerHonest,
    double AvgAnswerHonest,
    int? VictimHonestGood,
    int MaxGoodAttacker,
    int MaxAnswerAttacker);
