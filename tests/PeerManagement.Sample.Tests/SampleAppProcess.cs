using System.Diagnostics;
using System.Globalization;

namespace PeerManagement.Sample.Tests;

/// <summary>
/// The built sample running as a process of its own, with its own data directory: read its output, send it
/// SIGTERM, wait for its exit. Disposing kills it if it is still running and removes the directory.
/// </summary>
internal sealed class SampleAppProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _error;
    private readonly List<string> _lines = [];

    private SampleAppProcess(Process process, DirectoryInfo dataDirectory, CancellationToken cancellationToken)
    {
        _process = process;
        DataDirectory = dataDirectory;
        _error = process.StandardError.ReadToEndAsync(cancellationToken);
    }

    public DirectoryInfo DataDirectory { get; }

    /// <summary>Every line of standard output read so far.</summary>
    public IReadOnlyList<string> Lines => _lines;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the app with <paramref name="args"/> and <c>--data-dir</c> set to a fresh directory.</summary>
    public static SampleAppProcess Start(IEnumerable<string> args, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("peermanagement-sample-process-");
        var start = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "PeerManagement.Sample.Node.dll"), .. args, "--data-dir", dataDirectory.FullName])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment.Remove("Logging__LogLevel__Default");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return new SampleAppProcess(Process.Start(start)!, dataDirectory, cancellationToken);
    }

    /// <summary>Reads output until a line starts with <paramref name="prefix"/>; <see langword="false"/> when the output ended first.</summary>
    public async Task<bool> ReadUntilAsync(string prefix, CancellationToken cancellationToken)
    {
        while (await _process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
        {
            _lines.Add(line);
            if (line.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Sends SIGTERM, as <c>kill</c>, systemd and <c>docker stop</c> do.</summary>
    public async Task TerminateAsync(CancellationToken cancellationToken)
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        await kill.WaitForExitAsync(cancellationToken);
    }

    /// <summary>Reads the rest of the output and waits for the exit; returns standard error.</summary>
    public async Task<string> WaitForExitAsync(CancellationToken cancellationToken)
    {
        _lines.AddRange((await _process.StandardOutput.ReadToEndAsync(cancellationToken)).Split('\n'));
        await _process.WaitForExitAsync(cancellationToken);
        return await _error;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        DataDirectory.Delete(recursive: true);
    }
}
