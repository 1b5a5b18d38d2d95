using System.Text.Json;

namespace PeerManagement;

/// <summary>
/// The answers of one incoming batch, filled in as its calls end; whoever ends last (a call, or the dispatcher
/// holding its own share until every call is started) writes them.
/// </summary>
internal sealed class BatchRun
{
    private readonly JsonRpcAnswer?[] _answers;
    private readonly int _offset;
    private int _remaining;

    /// <param name="errors">The errors answering the batch's invalid items, written first.</param>
    /// <param name="calls">The number of calls to run.</param>
    public BatchRun(List<(JsonElement Id, int Code, string Message)>? errors, int calls)
    {
        _offset = errors?.Count ?? 0;
        _answers = new JsonRpcAnswer?[_offset + calls];
        for (var i = 0; i < _offset; i++)
        {
            var (id, code, message) = errors![i];
            _answers[i] = JsonRpcAnswer.Error(id, code, message);
        }

        _remaining = calls + 1;
    }

    public bool HasAnswers => Array.Exists(_answers, a => a.HasValue);

    // Published by the Interlocked.Add of Complete, which every call runs after setting its answer.
    public void SetAnswer(int call, JsonRpcAnswer? answer) => _answers[_offset + call] = answer;

    /// <summary>Counts <paramref name="shares"/> as ended; <see langword="true"/> for the last.</summary>
    public bool Complete(int shares) => Interlocked.Add(ref _remaining, -shares) == 0;

    /// <summary>Writes the answers as one array.</summary>
    public void WriteAnswers(Utf8JsonWriter writer)
    {
        writer.WriteStartArray();
        foreach (var answer in _answers)
        {
            if (answer is { } a)
            {
                JsonRpcWireFormat.WriteAnswer(writer, a);
            }
        }

        writer.WriteEndArray();
    }
}
