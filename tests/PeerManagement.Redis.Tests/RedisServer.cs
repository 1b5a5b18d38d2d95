using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace PeerManagement.Redis.Tests;

/// <summary>
/// A real redis-server of one test, on a loopback port the OS chose, with its own temporary directory and no
/// persistence; stopped (by its process id) and cleaned up when disposed. It can be killed and started again on
/// the same port, to test outages.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private readonly string _executable;
    private readonly string _directory;
    private readonly string[] _extraArguments;
    private Process? _process;

    private RedisServer(string executable, string directory, string[] extraArguments)
    {
        _executable = executable;
        _directory = directory;
        _extraArguments = extraArguments;
    }

    public int Port { get; private set; }

    /// <summary>The StackExchange.Redis configuration string of this server.</summary>
    public string Configuration => $"127.0.0.1:{Port}";

    public static string? FindExecutable()
        => new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
            ?? Environment.GetEnvironmentVariable("PATH")?.Split(':').Select(p => Path.Combine(p, "redis-server")).FirstOrDefault(File.Exists);

    /// <summary>Starts a server, or skips the test with the reason when redis-server is not installed.</summary>
    public static async Task<RedisServer> StartAsync(params string[] extraArguments)
    {
        var executable = FindExecutable();
        if (executable is null)
        {
            Assert.Skip("redis-server is not installed (apt-get install redis-server); the Redis scale-out tests need a real one.");
        }

        var directory = Directory.CreateTempSubdirectory("pm-redis-").FullName;
        var server = new RedisServer(executable!, directory, extraArguments);
        try
        {
            // The port is free when chosen but may be taken before redis binds it: choose again.
            for (var attempt = 1; ; attempt++)
            {
                server.Port = FreePort();
                if (await server.TryStartProcessAsync() || attempt == 5)
                {
                    break;
                }
            }

            if (server._process is null)
            {
                throw new InvalidOperationException("redis-server did not start on any of 5 ports.");
            }

            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens a client connection that keeps reconnecting (as the package's own does).</summary>
    public async Task<ConnectionMultiplexer> ConnectAsync(int timeoutMs = 1000)
    {
        var options = ConfigurationOptions.Parse(Configuration);
        options.AbortOnConnectFail = false;
        options.AsyncTimeout = timeoutMs;
        options.SyncTimeout = timeoutMs;
        options.ConnectTimeout = 2000;
        options.ReconnectRetryPolicy = new LinearRetry(100);
        options.AllowAdmin = true;
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    /// <summary>Kills the server process (as a crash would) and waits for it to exit.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>Starts the server again on the same port (empty: it saves nothing).</summary>
    public async Task RestartAsync()
    {
        await KillAsync();
        _process?.Dispose();
        _process = null;
        var deadline = Stopwatch.StartNew();
        while (!await TryStartProcessAsync())
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new InvalidOperationException($"redis-server did not start again on port {Port}.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private async Task<bool> TryStartProcessAsync()
    {
        var start = new ProcessStartInfo(_executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _directory };
        foreach (var argument in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory, "--protected-mode", "yes", "--enable-debug-command", "local" }.Concat(_extraArguments))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port, TestContext.Current.CancellationToken);
                _process = process;
                return true;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(10) && !process.HasExited)
            {
                // Polling for the port to open, bounded by the deadline.
                await Task.Delay(10, TestContext.Current.CancellationToken);
            }
            catch (SocketException)
            {
                if (!process.HasExited)
                {
                    process.Kill();
                }

                process.Dispose();
                return false;
            }
        }
    }
}
