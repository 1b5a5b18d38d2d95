using Microsoft.Extensions.Configuration;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PeerManagement.Sample.Node.Chain;

namespace PeerManagement.Sample.Node.Lab;

/// <summary>
/// One node of the lab network: its own host (<c>AddPeerManagement</c>, file store, synthetic chain), a
/// <see cref="JsonRpcListener"/> on its own loopback address answering with the manager's handler (chain methods
/// chained as <c>next</c>, rate limiting around it), and outgoing connections bound to the same address.
/// </summary>
public sealed class LabNode : IAsyncDisposable
{
    private readonly DeferredHandler _handler;
    private readonly JsonRpcListener _listener;
    private IHost? _host;
    private string? _lastEvent;

    private LabNode(LabNodeSpec spec, JsonRpcListener listener, DeferredHandler handler)
    {
        Spec = spec;
        _handler = handler;
        _listener = listener;
    }

    /// <summary>What the node is.</summary>
    public LabNodeSpec Spec { get; }

    /// <summary>The listener's bound endpoint.</summary>
    public IPEndPoint EndPoint => _listener.LocalEndPoint ?? throw new InvalidOperationException("The node is not listening.");

    /// <summary>The node's real name, as others see it: <c>"127.x.0.1 t&lt;port&gt;"</c>.</summary>
    public string RealName => $"{Spec.Address} t{EndPoint.Port}";

    /// <summary>The node's peer manager (after <see cref="StartAsync"/>).</summary>
    public PeerManager Manager => _host?.Services.GetRequiredService<PeerManager>() ?? throw new InvalidOperationException("The node is not started.");

    /// <summary>The node's services (its meter factory, for one).</summary>
    public IServiceProvider Services => _host?.Services ?? throw new InvalidOperationException("The node is not started.");

    /// <summary>The last status change it saw, formatted for the table.</summary>
    public string? LastEvent => Volatile.Read(ref _lastEvent);

    /// <summary>Binds the node's listener on its own address, so its real name is known.</summary>
    /// <param name="spec">The node.</param>
    /// <param name="port">The port; 0 lets the system choose.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The listening node, not yet running discovery.</returns>
    public static async Task<LabNode> ListenAsync(LabNodeSpec spec, int port, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var handler = new DeferredHandler();
        var sessions = new JsonRpcSessionFactory(Options.Create(new JsonRpcOptions()), TimeProvider.System);
        var listener = new JsonRpcListener(
            new JsonRpcListenerOptions { EndPoint = new IPEndPoint(IPAddress.Parse(spec.Address), port) },
            handler,
            sessions);
        var node = new LabNode(spec, listener, handler);
        try
        {
            await listener.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await listener.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return node;
    }

    /// <summary>Builds the node's host and starts discovery.</summary>
    /// <param name="seed">The real name of its seed.</param>
    /// <param name="blacklist">Blacklist entries (empty for none).</param>
    /// <param name="lab">The network's settings.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes once the node runs.</returns>
    public async Task StartAsync(string seed, IReadOnlyList<string> blacklist, LabSettings lab, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lab);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });

        // No appsettings or console logging per node, but the library's environment variables apply, as documented.
        builder.Configuration.AddEnvironmentVariables();
        var identity = RealName;
        var peers = builder.Services.AddPeerManagement(options =>
            {
                options.Identities.Add(identity);
                options.SeedPeers.Add(seed);
                options.AllowNonPublicPeers = true;
                options.Wakeup = lab.Wakeup;
                options.StaleAfter = lab.StaleAfter;
                options.ForgetAfterTries = 1000; // keep bad nodes listed (as bad) so the table shows them
                options.MaxNewPeersPerSource = 16;
                options.RequestTimeout = TimeSpan.FromSeconds(5);
                options.ClientName = "PeerManagement.Sample.Node";
            })
            .UseChainView(new SyntheticChain(Spec.Network, lab.ChainHeight))
            .UseFileStore(store =>
            {
                store.Path = Path.Combine(lab.DataDirectory, Spec.Name, "peers.json");
                store.SaveInterval = TimeSpan.FromSeconds(2);
            })
            .ConfigureConnector(connector =>
            {
                connector.LocalAddress = Spec.Address;
                connector.ConnectTimeout = TimeSpan.FromSeconds(5);
            });
        if (blacklist.Count > 0)
        {
            peers.AddBlacklist(blacklist);
        }

        _host = builder.Build();
        InvalidSettingsException.ThrowIfAny(_host.Services);
        var manager = _host.Services.GetRequiredService<PeerManager>();
        var chain = _host.Services.GetRequiredService<IChainView>();
        _handler.Inner = manager.CreateRequestHandler(new ChainRequestHandler(chain)).WithRateLimiting(_host.Services);
        manager.StatusChanged += (_, change) => Volatile.Write(ref _lastEvent, Describe(change));
        await _host.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Asks the node, over a real session from <paramref name="fromAddress"/>, for its peer list.</summary>
    /// <param name="fromAddress">The local address to connect from.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The hosts it lists.</returns>
    public async Task<IReadOnlyList<string>> AskPeersAsync(string fromAddress, CancellationToken cancellationToken)
    {
        using var client = new System.Net.Sockets.TcpClient(new IPEndPoint(IPAddress.Parse(fromAddress), 0));
        await client.ConnectAsync(EndPoint, cancellationToken).ConfigureAwait(false);
        var factory = new JsonRpcSessionFactory(Options.Create(new JsonRpcOptions()), TimeProvider.System);
        await using var session = factory.Create(client.GetStream(), new JsonRpcSessionSettings { RemoteEndPoint = EndPoint });
        return await session.InvokeAsync(
            "server.peers.subscribe",
            [],
            result => result.EnumerateArray().Select(entry => entry[1].GetString() ?? string.Empty).ToList(),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops discovery (the store saves the table) and the listener.</summary>
    /// <param name="cancellationToken">Cancels a graceful stop.</param>
    /// <returns>A task that completes once stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _listener.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_host is not null)
        {
            await _host.StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _listener.DisposeAsync().ConfigureAwait(false);
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            _host.Dispose();
        }
    }

    private static string Describe(PeerStatusChange change)
    {
        var from = change.OldStatus?.ToString().ToLowerInvariant() ?? "new";
        var to = change.NewStatus?.ToString().ToLowerInvariant() ?? "forgotten";
        var text = $"{change.Host.Value} {from}→{to}";
        return change.Reason is null || change.NewStatus != PeerStatus.Bad ? text : $"{text}: {change.Reason}";
    }

    /// <summary>Lets the listener start before the manager (which needs the listener's port) exists.</summary>
    private sealed class DeferredHandler : IJsonRpcRequestHandler
    {
        public IJsonRpcRequestHandler? Inner { get; set; }

        public ValueTask<JsonNode?> HandleAsync(JsonRpcCall call, CancellationToken cancellationToken)
            => Inner is { } inner
                ? inner.HandleAsync(call, cancellationToken)
                : throw new JsonRpcException(JsonRpcErrorCodes.MethodNotFound, "the node is starting");
    }
}
