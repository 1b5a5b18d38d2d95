using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PeerManagement.Tests.Proxy;

/// <summary>A real microsocks SOCKS5 server on loopback, started for one test and stopped after it.</summary>
internal sealed class Microsocks : IAsyncDisposable
{
    private readonly Process _process;

    private Microsocks(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public static string? FindExecutable()
        => new[] { "/usr/bin/microsocks", "/usr/local/bin/microsocks" }.FirstOrDefault(File.Exists)
            ?? Environment.GetEnvironmentVariable("PATH")?.Split(':').Select(p => Path.Combine(p, "microsocks")).FirstOrDefault(File.Exists);

    /// <summary>Starts microsocks, or skips the test with the reason when it is not installed.</summary>
    public static async Task<Microsocks> StartAsync(string? user = null, string? password = null)
    {
        var executable = FindExecutable();
        if (executable is null)
        {
            Assert.Skip("microsocks is not installed (apt-get install microsocks); the SOCKS5 integration tests need it.");
        }

        var port = FreePort();
        var start = new ProcessStartInfo(executable!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-i", "127.0.0.1", "-p", port.ToString() })
        {
            start.ArgumentList.Add(argument);
        }

        if (user is not null)
        {
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(user);
            start.ArgumentList.Add("-P");
            start.ArgumentList.Add(password!);
        }

        var process = Process.Start(start)!;
        var socks = new Microsocks(process, port);
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, port, TestContext.Current.CancellationToken);
                return socks;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(10) && !process.HasExited)
            {
                // A refused loopback connect fails at once, and the process gives no other sign that it listens:
                // probe again as soon as other work has had its turn, within the deadline.
                await Task.Yield();
            }
            catch
            {
                await socks.DisposeAsync();
                throw;
            }
        }
    }

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        }

        _process.Dispose();
    }
}
