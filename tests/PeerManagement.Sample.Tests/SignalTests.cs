using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace PeerManagement.Sample.Tests;

/// <summary>The built sample as a process: the signals that service managers send stop it cleanly.</summary>
public sealed class SignalTests
{
    [Fact]
    public async Task Sigterm_stops_a_joining_node_cleanly_saving_its_store_with_exit_code_143()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux() || OperatingSystem.IsMacOS(), "SIGTERM is a POSIX signal.");
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(60));
        var dataDirectory = Directory.CreateTempSubdirectory("peermanagement-signal-");
        var port = FreePort("127.31.0.1");
        var app = Path.Combine(AppContext.BaseDirectory, "PeerManagement.Sample.Node.dll");
        using var node = Process.Start(new ProcessStartInfo("dotnet", ["exec", app, "--network", "lab", "--listen", $"127.31.0.1:{port}", "--data-dir", dataDirectory.FullName])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        try
        {
            var stderr = node.StandardError.ReadToEndAsync(bound.Token);
            string? line;
            while ((line = await node.StandardOutput.ReadLineAsync(bound.Token)) is not null && !line.StartsWith("Joined", StringComparison.Ordinal))
            {
            }

            line.Should().StartWith("Joined", "the node must be up before it is told to stop");
            using (var kill = Process.Start("kill", ["-TERM", node.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(bound.Token);
            }

            var rest = await node.StandardOutput.ReadToEndAsync(bound.Token);
            await node.WaitForExitAsync(bound.Token);

            node.ExitCode.Should().Be(143, "SIGTERM ends the node as a shell reports a terminated command");
            rest.Should().Contain("Stopping:");
            (await stderr).Should().NotContain("   at ", "a clean stop prints no stack trace");
            File.Exists(Path.Combine(dataDirectory.FullName, "peers.json")).Should().BeTrue("the store is saved at stop");
        }
        finally
        {
            if (!node.HasExited)
            {
                node.Kill(entireProcessTree: true);
            }

            dataDirectory.Delete(recursive: true);
        }
    }

    private static int FreePort(string address)
    {
        var probe = new TcpListener(IPAddress.Parse(address), 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
