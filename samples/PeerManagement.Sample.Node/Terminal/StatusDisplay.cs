namespace PeerManagement.Sample.Node.Terminal;

/// <summary>
/// Shows the nodes' tables. On a terminal the table is redrawn in place; when the output is redirected (a log
/// file, a pipe, a test) each change is written once as a plain line, so the output stays readable.
/// </summary>
public sealed class StatusDisplay
{
    private readonly TextWriter _output;
    private readonly bool _redraw;
    private readonly Dictionary<string, NodeStatus> _printed = new(StringComparer.Ordinal);
    private int _linesDrawn;

    /// <summary>Creates a display writing to <paramref name="output"/>.</summary>
    /// <param name="output">Where to write.</param>
    /// <param name="interactive">Whether the output is a terminal that understands cursor movement.</param>
    public StatusDisplay(TextWriter output, bool interactive)
    {
        _output = output;
        _redraw = interactive;
    }

    /// <summary>Whether the table is redrawn in place (a terminal) rather than written as plain lines.</summary>
    public bool IsInteractive => _redraw;

    /// <summary>A display for the console, redrawing only when the output is a terminal.</summary>
    public static StatusDisplay ForConsole() => new(Console.Out, !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb");

    /// <summary>Shows the current state of every node.</summary>
    /// <param name="nodes">The nodes, in display order.</param>
    /// <param name="footer">A line under the table (elapsed time, progress).</param>
    public void Show(IReadOnlyList<NodeStatus> nodes, string footer)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        if (_redraw)
        {
            Redraw(nodes, footer);
            return;
        }

        foreach (var node in nodes)
        {
            if (!_printed.TryGetValue(node.Name, out var previous) || previous != node)
            {
                _printed[node.Name] = node;
                _output.WriteLine(FormatPlain(node));
            }
        }

        _output.Flush();
    }

    /// <summary>Writes a line below the table (it is not redrawn over).</summary>
    /// <param name="line">The text.</param>
    public void WriteLine(string line)
    {
        _linesDrawn = 0;
        _output.WriteLine(line);
        _output.Flush();
    }

    /// <summary>The table as text, as a terminal shows it.</summary>
    /// <param name="nodes">The nodes.</param>
    /// <returns>The lines.</returns>
    public static IReadOnlyList<string> FormatTable(IReadOnlyList<NodeStatus> nodes)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        var lines = new List<string>(nodes.Count + 2)
        {
            $"{"node",-22} {"good",5} {"stale",6} {"never",6} {"bad",4}  last event",
            new string('-', 78),
        };
        foreach (var node in nodes)
        {
            var c = node.Counts;
            lines.Add($"{node.Name,-22} {c.Good,5} {c.Stale,6} {c.Never,6} {c.Bad,4}  {Truncate(node.LastEvent ?? string.Empty, 34)}");
        }

        return lines;
    }

    private static string FormatPlain(NodeStatus node)
    {
        var c = node.Counts;
        var line = $"{node.Name}: good {c.Good}, stale {c.Stale}, never {c.Never}, bad {c.Bad}";
        return node.LastEvent is null ? line : $"{line} ({node.LastEvent})";
    }

    private static string Truncate(string text, int width) => text.Length <= width ? text : string.Concat(text.AsSpan(0, width - 1), "…");

    private void Redraw(IReadOnlyList<NodeStatus> nodes, string footer)
    {
        var lines = FormatTable(nodes).Append(footer).ToList();
        if (_linesDrawn > 0)
        {
            // Move the cursor back to the table's first line and draw over it.
            _output.Write($"\u001b[{_linesDrawn}F");
        }

        foreach (var line in lines)
        {
            _output.Write("\u001b[2K");
            _output.WriteLine(line);
        }

        _linesDrawn = lines.Count;
        _output.Flush();
    }
}
