using System.Globalization;
using PeerManagement.Sample.Node.Lab;
using PeerManagement.Sample.Node.Terminal;

namespace PeerManagement.Sample.Node;

/// <summary>The sample's entry point, callable in-process (tests) with its own output.</summary>
public static class SampleApp
{
    /// <summary>The exit code after Ctrl+C, as shells report an interrupted command.</summary>
    public const int StoppedExitCode = 130;

    /// <summary>The usage text.</summary>
    public const string Usage = """
        Usage: PeerManagement.Sample.Node [options]

        With no options: runs a lab network of nodes on loopback (127.11.0.1, 127.12.0.1, ...), shows their tables
        until they converge, prints a summary and exits 0 (1 when not converged within the time limit, 130 on Ctrl+C).

          --nodes N          number of lab nodes, at least 4 (default 8; the last two misbehave)
          --data-dir PATH    where each node keeps node-i/peers.json (default: <temp>/peermanagement-sample)
          --timeout SECONDS  time limit to converge (default 90)
          --port PORT        the port every node listens on, each on its own address (default 50001; 0: any)
          --help             this text
        """;

    /// <summary>Runs the sample.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="output">Where the table and summary go.</param>
    /// <param name="error">Where usage errors go.</param>
    /// <param name="interactive">Redraw the table in place; <see langword="null"/>: when the console is a terminal.</param>
    /// <param name="cancellationToken">Stops the run (Ctrl+C).</param>
    /// <returns>The exit code: 0 converged, 1 not converged, 2 bad arguments, 130 stopped (Ctrl+C).</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool? interactive, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        LabSettings settings;
        try
        {
            settings = Parse(args, out var help);
            if (help)
            {
                await output.WriteLineAsync(Usage).ConfigureAwait(false);
                return 0;
            }
        }
        catch (FormatException ex)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            await error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        var display = interactive is { } redraw
            ? new StatusDisplay(output, redraw)
            : new StatusDisplay(output, !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("TERM") != "dumb");
        try
        {
            var result = await new LabNetwork(settings, display).RunAsync(cancellationToken).ConfigureAwait(false);
            return cancellationToken.IsCancellationRequested ? StoppedExitCode : result.ExitCode;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            display.WriteLine("Stopped while starting; the nodes that had started saved their stores.");
            return StoppedExitCode;
        }
    }

    /// <summary>Reads the command line.</summary>
    /// <param name="args">The arguments.</param>
    /// <param name="help">Whether help was asked for.</param>
    /// <returns>The settings.</returns>
    /// <exception cref="FormatException">An argument is unknown or its value is invalid.</exception>
    public static LabSettings Parse(IReadOnlyList<string> args, out bool help)
    {
        ArgumentNullException.ThrowIfNull(args);
        var settings = new LabSettings();
        help = false;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{name} needs a value.");
            int Number(int min, int max)
            {
                var text = Value();
                return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
                    ? n
                    : throw new FormatException($"{name} must be a whole number from {min} to {max}, not '{text}'.");
            }

            switch (name)
            {
                case "--nodes":
                    settings = settings with { Nodes = Number(4, 200) };
                    break;
                case "--data-dir":
                    settings = settings with { DataDirectory = Path.GetFullPath(Value()) };
                    break;
                case "--timeout":
                    settings = settings with { TimeLimit = TimeSpan.FromSeconds(Number(1, 86_400)) };
                    break;
                case "--port":
                    settings = settings with { Port = Number(0, 65_535) };
                    break;
                case "--help" or "-h":
                    help = true;
                    break;
                case "--listen" or "--seed" or "--network" or "--proxy" or "--http":
                    throw new FormatException($"{name} (joining a real network) is not available in this version of the sample.");
                default:
                    throw new FormatException($"Unknown argument '{name}'.");
            }
        }

        return settings;
    }
}
