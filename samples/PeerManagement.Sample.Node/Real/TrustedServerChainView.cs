namespace PeerManagement.Sample.Node.Real;

/// <summary>
/// Our view of a real chain, taken from one Electrum server we trust (our own, ideally): the tip from
/// <c>blockchain.headers.subscribe</c> (cached for a few seconds) and headers from <c>blockchain.block.header</c>.
/// The genesis hash is fixed by the network. A node with its own full node would read these from it instead.
/// </summary>
public sealed class TrustedServerChainView : IChainView, IAsyncDisposable
{
    private static readonly TimeSpan TipLifetime = TimeSpan.FromSeconds(10);
    private readonly PeerEndpoint _server;
    private readonly IPeerConnector _connector;
    private readonly IJsonRpcSessionFactory _sessions;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IJsonRpcSession? _session;
    private (int Height, DateTimeOffset Until)? _tip;

    /// <summary>Creates the view.</summary>
    /// <param name="genesisHash">The network's genesis hash.</param>
    /// <param name="server">The trusted server.</param>
    /// <param name="connector">Opens the connection.</param>
    /// <param name="sessions">Runs JSON-RPC over it.</param>
    public TrustedServerChainView(string genesisHash, PeerEndpoint server, IPeerConnector connector, IJsonRpcSessionFactory sessions)
    {
        GenesisHash = genesisHash;
        _server = server;
        _connector = connector;
        _sessions = sessions;
    }

    /// <inheritdoc/>
    public string GenesisHash { get; }

    /// <inheritdoc/>
    public async ValueTask<int> GetTipHeightAsync(CancellationToken cancellationToken)
    {
        if (_tip is { } tip && DateTimeOffset.UtcNow < tip.Until)
        {
            return tip.Height;
        }

        var answer = await AskAsync("blockchain.headers.subscribe", [], cancellationToken).ConfigureAwait(false);
        var height = answer.GetProperty("height").GetInt32();
        _tip = (height, DateTimeOffset.UtcNow + TipLifetime);
        return height;
    }

    /// <inheritdoc/>
    public async ValueTask<string?> GetHeaderHexAsync(int height, CancellationToken cancellationToken)
    {
        var answer = await AskAsync("blockchain.block.header", [height], cancellationToken).ConfigureAwait(false);
        return answer.GetString();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_session is not null)
        {
            await _session.DisposeAsync().ConfigureAwait(false);
        }

        _gate.Dispose();
    }

    private async Task<System.Text.Json.JsonElement> AskAsync(string method, System.Text.Json.Nodes.JsonNode?[] parameters, CancellationToken cancellationToken)
    {
        var session = await GetSessionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await session.InvokeAsync(method, parameters, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or TimeoutException or JsonRpcProtocolException or ObjectDisposedException)
        {
            // Reconnect on the next call.
            Interlocked.CompareExchange(ref _session, null, session);
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<IJsonRpcSession> GetSessionAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_session is { } existing)
            {
                return existing;
            }

            var connection = await _connector.ConnectAsync(_server, useProxy: _server.Host.IsOnion, cancellationToken).ConfigureAwait(false);
            var session = _sessions.Create(connection.Stream, new JsonRpcSessionSettings());
            await session.InvokeAsync("server.version", ["PeerManagement.Sample.Node", "1.4"], cancellationToken).ConfigureAwait(false);
            _session = session;
            return session;
        }
        finally
        {
            _gate.Release();
        }
    }
}
