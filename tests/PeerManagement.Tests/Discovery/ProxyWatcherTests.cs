using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using PeerManagement.TestUtilities.Time;
using PeerManagement.Tests.Connectivity;

namespace PeerManagement.Tests.Discovery;

public class ProxyWatcherTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_proxy_is_looked_for_once_per_retry_interval_until_it_answers()
    {
        var answering = 0;
        await using var server = new LoopbackServer(script: async (stream, ct) =>
        {
            // A SOCKS5 greeting answered with "no acceptable method" until the proxy is "up".
            var greeting = new byte[3];
            await stream.ReadExactlyAsync(greeting, ct);
            await stream.WriteAsync(new byte[] { 5, Volatile.Read(ref answering) == 1 ? (byte)0 : (byte)0xFF }, ct);
            await stream.FlushAsync(ct);
        });
        var time = new WatchedTimeProvider();
        var options = new ProxyOptions { TorProxyPort = server.Port };
        var connector = new Socks5ProxyConnector(Options.Create(options), time);
        var watcher = new ProxyWatcher(connector, options, time, NullLogger.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var found = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        await watcher.DetectOnceAsync(Token);
        server.Clients.Should().HaveCount(1);
        var run = watcher.RunAsync(() => found.TrySetResult(), stop.Token);

        for (var interval = 1; interval <= 3; interval++)
        {
            var timers = time.TimersCreated;
            time.Advance(options.ProxyRetryInterval);

            // The look's deadline, its probe's deadline, then the wait for the next interval: the look is over.
            await time.WaitForTimersAsync(timers + 3, Token).WaitAsync(Bound, Token);
            server.Clients.Should().HaveCount(1 + interval, "one probe per interval, not one by the watcher and one by the connector");
            watcher.Found.Should().BeFalse();
        }

        Volatile.Write(ref answering, 1);
        time.Advance(options.ProxyRetryInterval - TimeSpan.FromSeconds(1));
        found.Task.IsCompleted.Should().BeFalse("the next look is a whole interval after the last");
        time.Advance(TimeSpan.FromSeconds(1));

        await found.Task.WaitAsync(Bound, Token);
        await run.WaitAsync(Bound, Token);
        connector.ProxyEndPoint.Should().Be(new IPEndPoint(IPAddress.Loopback, server.Port));
        server.Clients.Should().HaveCount(5);
    }

    [Fact]
    public async Task A_look_that_runs_over_its_deadline_finds_nothing_and_does_not_throw()
    {
        var time = new WatchedTimeProvider();
        var options = new ProxyOptions { DetectTimeout = TimeSpan.FromSeconds(5) };
        var watcher = new ProxyWatcher(new HangingProxyConnector(), options, time, NullLogger.Instance);

        var look = watcher.DetectOnceAsync(Token);
        await time.WaitForTimersAsync(1, Token).WaitAsync(Bound, Token);
        time.Advance(options.DetectTimeout);

        await look.WaitAsync(Bound, Token);
        watcher.Found.Should().BeFalse();
    }

    /// <summary>A plug-in connector whose detection never ends by itself.</summary>
    private sealed class HangingProxyConnector : IProxyConnector
    {
        public EndPoint? ProxyEndPoint => null;

        public async ValueTask<EndPoint?> DetectAsync(CancellationToken cancellationToken)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
            return null;
        }

        public ValueTask<Stream> ConnectAsync(PeerHost host, int port, CancellationToken cancellationToken)
            => throw new ProxyException("never tunnels");
    }
}
