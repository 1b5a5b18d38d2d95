using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using PeerManagement.TestUtilities.Electrum;

namespace PeerManagement.Tests.Integration;

/// <summary>A real node for loopback tests: its own container, listener on its own loopback address and real connector.</summary>
internal sealed class LoopbackNode : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly JsonRpcListener _listener;
    private readonly LateBoundHandler _handler = new();
    private readonly IChainView _chain;
    private int _checks;

    public LoopbackNode(IPAddress address, TimeProvider time, IChainView chain, Action<PeerManagementOptions> configure)
    {
        _chain = chain;
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddPeerManagement(configure)
            .UseChainView(chain)
            .UseProxyConnector<FakeProxyConnector>() // no SOCKS probes of the machine's ports
            .ConfigureConnector(o => o.LocalAddress = address.ToString());
        _services = services.BuildServiceProvider();
        _listener = new JsonRpcListener(
            new JsonRpcListenerOptions { EndPoint = new IPEndPoint(address, 0) },
            _handler,
            _services.GetRequiredService<IJsonRpcSessionFactory>(),
            time);
    }

    public PeerManager Manager => _services.GetRequiredService<PeerManager>();

    public int Checks => Volatile.Read(ref _checks);

    public async Task<int> StartListenerAsync(CancellationToken cancellationToken)
    {
        await _listener.StartAsync(cancellationToken);
        return _listener.LocalEndPoint!.Port;
    }

    public async Task StartManagerAsync(CancellationToken cancellationToken)
    {
        _services.GetRequiredService<IPeerConnector>().Should().BeOfType<TcpPeerConnector>();
        _services.GetRequiredService<TimeProvider>().Should().BeOfType<FakeTimeProvider>();
        _handler.Target = Manager.CreateRequestHandler(next: new ChainMethods(_chain));
        Manager.Scheduler.CheckCompleted += _ => Interlocked.Increment(ref _checks);
        await Manager.StartAsync(cancellationToken);
    }

    /// <summary>No check of this node runs or is due now (its listener's work happens inside the askers' checks).</summary>
    public bool IsIdle(DateTimeOffset now)
    {
        var scheduler = Manager.Scheduler;
        return Manager.GetPeers().All(p => !scheduler.IsRunning(p.Peer.Host) && !(scheduler.GetDue(p.Peer.Host) <= now));
    }

    public DateTimeOffset? NextDue()
        => Manager.GetPeers().Select(p => Manager.Scheduler.GetDue(p.Peer.Host)).Where(d => d is not null).Min();

    public ISet<PeerHost> GoodHosts()
        => Manager.GetPeers().Where(p => p.Status == PeerStatus.Good).Select(p => p.Peer.Host).ToHashSet();

    public async ValueTask DisposeAsync()
    {
        // Bounded: a stop that hangs fails the test instead of blocking the run.
        using var bound = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        bound.CancelAfter(TimeSpan.FromSeconds(15));
        try
        {
            await Manager.StopAsync(bound.Token).WaitAsync(bound.Token);
            await _listener.StopAsync(bound.Token).WaitAsync(bound.Token);
        }
        finally
        {
            await _services.DisposeAsync();
        }
    }
}
