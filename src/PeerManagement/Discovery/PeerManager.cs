using System.Net;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// Finds, checks, schedules, forgets and answers peers (the discovery engine). Start it with
/// <see cref="StartAsync"/> (it is also an <see cref="IHostedService"/>); stop it with <see cref="StopAsync"/> or
/// by disposing it. It depends only on the plug-in interfaces: give it a real <see cref="IPeerConnector"/> and
/// <see cref="IJsonRpcSessionFactory"/> and it works over the network; register
/// <see cref="CreateRequestHandler"/> on a listener to answer other nodes.
/// </summary>
public sealed partial class PeerManager : IHostedService, IAsyncDisposable, IDisposable
{
    private readonly PeerTable _table;
    private readonly PeerManagementOptions _options;
    private readonly IPeerConnector _connector;
    private readonly IJsonRpcSessionFactory _sessionFactory;
    private readonly IPeerVerifier _verifier;
    private readonly IChainView _chain;
    private readonly IPeerStore _store;
    private readonly IProxyConnector? _proxy;
    private readonly IHostNameResolver _resolver;
    private readonly PeerBlacklist _blacklist;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly PeerManagementMetrics? _metrics;
    private readonly Random _random;
    private readonly PeerCheckScheduler _scheduler;
    private readonly BucketLocks _bucketLocks = new();
    private readonly AddPeerPauseMap _addPeerPauses;
    private readonly AddPeerBudget _addPeerBudget;
    /// <summary>How far ahead of our clock a stored time may be and still be believed (clocks differ a little).</summary>
    private static readonly TimeSpan LoadedClockSkew = TimeSpan.FromMinutes(5);

    private readonly IReadOnlyList<PeerRealName> _identities;
    private readonly HashSet<PeerHost> _identityHosts;
    private readonly Lock _stateGate = new();
    private readonly List<Task> _background = [];
    private PeerFeatures? _ownFeatures;
    private CancellationTokenSource? _stopping;
    private int _state; // 0 new, 1 started, 2 stopped
    private DateTimeOffset _onionPermitTime = DateTimeOffset.MinValue;
    private int _addPeerBudgetWarned;

    /// <summary>Creates a manager.</summary>
    /// <param name="table">The peer table it fills and maintains.</param>
    /// <param name="options">The settings.</param>
    /// <param name="connector">Opens connections to peers.</param>
    /// <param name="sessionFactory">Runs JSON-RPC sessions over those connections.</param>
    /// <param name="chain">Our view of the chain, to verify peers against.</param>
    /// <param name="store">Where the table was saved; loaded at start.</param>
    /// <param name="blacklistSources">Where blacklist entries come from (may be empty).</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="loggerFactory">Where logs go; <see langword="null"/> for none.</param>
    /// <param name="verifier">Decides whether a peer serves our network; <see langword="null"/> for the Electrum protocol default.</param>
    /// <param name="proxy">Reaches onion peers (and every peer when the proxy is forced); <see langword="null"/> for none.</param>
    /// <param name="resolver">Resolves host names for <c>server.add_peer</c>; <see langword="null"/> for the system's DNS.</param>
    /// <param name="random">Randomness for the per-source cap and the answers; <see langword="null"/> for a shared one.</param>
    /// <exception cref="ArgumentNullException">A required argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An own identity in the options is not a valid real name.</exception>
    public PeerManager(
        PeerTable table,
        IOptions<PeerManagementOptions> options,
        IPeerConnector connector,
        IJsonRpcSessionFactory sessionFactory,
        IChainView chain,
        IPeerStore store,
        IEnumerable<IBlacklistSource> blacklistSources,
        TimeProvider timeProvider,
        ILoggerFactory? loggerFactory = null,
        IPeerVerifier? verifier = null,
        IProxyConnector? proxy = null,
        IHostNameResolver? resolver = null,
        Random? random = null)
        : this(table, options, connector, sessionFactory, chain, store, blacklistSources, timeProvider, loggerFactory, verifier, proxy, resolver, random, metrics: null)
    {
    }

    internal PeerManager(
        PeerTable table,
        IOptions<PeerManagementOptions> options,
        IPeerConnector connector,
        IJsonRpcSessionFactory sessionFactory,
        IChainView chain,
        IPeerStore store,
        IEnumerable<IBlacklistSource> blacklistSources,
        TimeProvider timeProvider,
        ILoggerFactory? loggerFactory,
        IPeerVerifier? verifier,
        IProxyConnector? proxy,
        IHostNameResolver? resolver,
        Random? random,
        PeerManagementMetrics? metrics)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(connector);
        ArgumentNullException.ThrowIfNull(sessionFactory);
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(blacklistSources);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _table = table;
        _options = options.Value;
        _connector = connector;
        _sessionFactory = sessionFactory;
        _chain = chain;
        _store = store;
        _timeProvider = timeProvider;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("PeerManagement.Discovery");
        _verifier = verifier ?? new ElectrumPeerVerifier(chain, options);
        _proxy = proxy;
        _resolver = resolver ?? new OperatingSystemHostNameResolver();
        _random = random ?? Random.Shared;
        _metrics = metrics;
        _blacklist = new PeerBlacklist(blacklistSources, loggerFactory.CreateLogger("PeerManagement.Blacklist"));
        _scheduler = new PeerCheckScheduler(timeProvider, _options.MaxConcurrentChecks, CheckScheduledAsync);
        _addPeerPauses = new AddPeerPauseMap(_options.PeerAddPause, _options.MaxAddPeerPauseEntries);
        _addPeerBudget = new AddPeerBudget(_options.AddPeerBudget, _options.AddPeerBudgetInterval);

        var identities = new List<PeerRealName>(_options.Identities.Count);
        foreach (var text in _options.Identities)
        {
            if (!PeerRealName.TryParse(text.AsSpan(), _options.DefaultPorts, out var name, out var error))
            {
                throw new ArgumentException($"Own identity '{text}' is not a peer real name: {error}.", nameof(options));
            }

            identities.Add(name);
        }

        _identities = identities;
        _identityHosts = [.. identities.Select(i => i.Host)];
    }

    /// <summary>
    /// Raised when a peer's status changes: added (old status <see langword="null"/>), checked, marked bad, or
    /// forgotten (new status <see langword="null"/>). Handlers run on the thread that made the change; keep them short.
    /// </summary>
    public event EventHandler<PeerStatusChange>? StatusChanged;

    /// <summary>The discovery mode in force.</summary>
    public PeerDiscoveryMode Mode => _options.Discovery;

    /// <summary>The table of known peers.</summary>
    public PeerTable Table => _table;

    /// <summary>Our own identities (from the options).</summary>
    public IReadOnlyList<PeerRealName> Identities => _identities;

    /// <summary>The proxy's address when one is known; otherwise <see langword="null"/>.</summary>
    public EndPoint? ProxyEndPoint => _proxy?.ProxyEndPoint;

    /// <summary>Our own features, as answered to <c>server.features</c> and sent with <c>server.add_peer</c>.</summary>
    public PeerFeatures OwnFeatures => _ownFeatures ??= BuildOwnFeatures();

    internal PeerCheckScheduler Scheduler => _scheduler;

    internal PeerBlacklist Blacklist => _blacklist;

    internal int ActiveBucketLocks => _bucketLocks.Count;

    internal int AddPeerPauseCount => _addPeerPauses.Count;

    /// <summary>
    /// Starts discovery in the configured mode. <see cref="PeerDiscoveryMode.On"/>: refreshes the blacklist,
    /// looks for a proxy and loads the saved table side by side, then imports our identities and the seed
    /// peers, and starts checking. <see cref="PeerDiscoveryMode.Self"/> and <see cref="PeerDiscoveryMode.Off"/>
    /// contact no one. A second call does nothing. A failing store or blacklist source never fails start-up.
    /// </summary>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <returns>A task that completes when the table is loaded and checking has begun.</returns>
    /// <exception cref="ObjectDisposedException">The manager was stopped.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_stateGate)
        {
            ObjectDisposedException.ThrowIf(_state == 2, this);
            if (_state == 1)
            {
                return;
            }

            _state = 1;
            _stopping = new CancellationTokenSource();
        }

        var clearnet = ClearnetIdentity();
        Log.DiscoveryStarting(_logger, _options.Discovery, _options.Announce, clearnet?.Format(_options.DefaultPorts) ?? "none", _options.ForceProxy);
        if (_options.Discovery == PeerDiscoveryMode.Off)
        {
            Log.DiscoveryOff(_logger);
            return;
        }

        if (_options.Discovery == PeerDiscoveryMode.Self)
        {
            Log.DiscoverySelfOnly(_logger);
            return;
        }

        var stopping = _stopping.Token;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        var firstRefresh = _blacklist.HasSources ? RefreshBlacklistAsync(linked.Token) : Task.CompletedTask;
        var proxyFound = DetectProxyOnceAsync(linked.Token);
        await LoadAsync(linked.Token).ConfigureAwait(false);
        await Task.WhenAll(firstRefresh, proxyFound).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        ImportIdentitiesAndSeeds();
        _scheduler.Start();
        // Called directly, not through Task.Run: each loop arms its first timer before StartAsync returns, so the
        // first refresh is due exactly one interval after start (and a fake clock advanced after start reaches it).
        lock (_stateGate)
        {
            if (_blacklist.HasSources)
            {
                _background.Add(BlacklistLoopAsync(stopping));
            }

            if (_proxy is not null && _proxy.ProxyEndPoint is null)
            {
                _background.Add(ProxyLoopAsync(stopping));
            }
        }
    }

    /// <summary>Stops every check and background loop and waits for them to end. Idempotent.</summary>
    /// <param name="cancellationToken">Stops waiting (the work is cancelled either way).</param>
    /// <returns>A task that completes when everything has stopped.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        CancellationTokenSource? stopping;
        Task[] background;
        lock (_stateGate)
        {
            if (_state == 2)
            {
                return;
            }

            var wasStarted = _state == 1;
            _state = 2;
            stopping = _stopping;
            background = [.. _background];
            _background.Clear();
            if (!wasStarted)
            {
                return;
            }
        }

        await stopping!.CancelAsync().ConfigureAwait(false);
        var all = Task.WhenAll([_scheduler.DisposeAsync().AsTask(), .. background]);
        await all.WaitAsync(cancellationToken).ConfigureAwait(false);
        stopping.Dispose();
        Log.DiscoveryStopped(_logger);
    }

    /// <summary>Stops the manager (see <see cref="StopAsync"/>).</summary>
    /// <returns>A task that completes when everything has stopped.</returns>
    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);

    /// <summary>Stops the manager and waits for it (prefer <see cref="DisposeAsync"/>; this is for containers disposed synchronously).</summary>
    public void Dispose() => StopAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// Adds a peer by its real name, as an operator would (not capped; when the peer is known with other ports,
    /// they are remembered and the peer is checked again early).
    /// </summary>
    /// <param name="realName">The real name, e.g. <c>electrum.example.org s t50001</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was done with the peer.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="realName"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The text is not a real name, or the peer is not acceptable (not public, or an onion peer while no proxy is known); the message says why.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<PeerNoteResult> AddPeerAsync(string realName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(realName);
        cancellationToken.ThrowIfCancellationRequested();
        if (!PeerRealName.TryParse(realName.AsSpan(), _options.DefaultPorts, out var name, out var error))
        {
            throw new ArgumentException($"'{realName}' is not a peer real name: {error}.", nameof(realName));
        }

        if (RejectReason(name.Host) is { } reason)
        {
            throw new ArgumentException($"Peer '{realName}' is not acceptable: {reason}.", nameof(realName));
        }

        return ValueTask.FromResult(NotePeer(name, PeerSources.Admin, checkPorts: true));
    }

    /// <summary>How many peers are in each status.</summary>
    /// <returns>The counts.</returns>
    public PeerCounts GetInfo() => _table.GetInfo();

    /// <summary>Every peer with its status: bad ones last, then the most recently good first.</summary>
    /// <returns>A new list.</returns>
    public IReadOnlyList<PeerSnapshot> GetPeers() => _table.GetPeers();

    /// <summary>
    /// Streams status changes (see <see cref="StatusChanged"/>) until <paramref name="cancellationToken"/> is
    /// cancelled. A reader that falls more than 1,024 changes behind loses the oldest ones.
    /// </summary>
    /// <param name="cancellationToken">Ends the stream.</param>
    /// <returns>The changes, in order.</returns>
    public async IAsyncEnumerable<PeerStatusChange> WatchStatusChangesAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<PeerStatusChange>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        void Handler(object? sender, PeerStatusChange change) => channel.Writer.TryWrite(change);
        StatusChanged += Handler;
        try
        {
            while (await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (channel.Reader.TryRead(out var change))
                {
                    yield return change;
                }
            }
        }
        finally
        {
            StatusChanged -= Handler;
        }
    }

    /// <summary>
    /// Creates the handler that answers other nodes' <c>server.version</c>, <c>server.features</c>,
    /// <c>server.peers.subscribe</c> and <c>server.add_peer</c>; register it on the listener.
    /// </summary>
    /// <param name="next">Answers every other method; <see langword="null"/> refuses them with <see cref="JsonRpcErrorCodes.MethodNotFound"/>.</param>
    /// <returns>The handler.</returns>
    public IJsonRpcRequestHandler CreateRequestHandler(IJsonRpcRequestHandler? next = null) => new PeerRequestHandler(this, next);

    private PeerRealName? ClearnetIdentity()
        => _identities.FirstOrDefault(i => !i.Host.IsOnion && (i.Host.IsPublic || _options.AllowNonPublicPeers));

    private PeerFeatures BuildOwnFeatures()
    {
        var hosts = new Dictionary<PeerHost, PeerPorts>();
        foreach (var identity in _identities)
        {
            hosts.TryAdd(identity.Host, identity.Ports);
        }

        return new PeerFeatures
        {
            Hosts = hosts,
            GenesisHash = _chain.GenesisHash,
            HashFunction = "sha256",
            ServerVersion = _options.ClientName,
            ProtocolMin = ProtocolVersion.Parse(_options.ProtocolMin),
            ProtocolMax = ProtocolVersion.Parse(_options.ProtocolMax),
        };
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<PeerRecord> records;
        try
        {
            records = await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.LoadFailed(_logger, ex);
            return;
        }

        var now = _timeProvider.GetUtcNow();
        var added = 0;
        var overCapacity = 0;
        foreach (var loaded in records ?? [])
        {
            if (loaded is null || loaded.Host.IsEmpty)
            {
                continue;
            }

            if (_table.Count >= _options.MaxPeers)
            {
                overCapacity++;
                continue;
            }

            var record = WithPlausibleHistory(loaded, now);
            if (!_table.TryAdd(record))
            {
                continue;
            }

            added++;
            _scheduler.Schedule(record.Host, FirstCheckTime(record, now));
        }

        if (overCapacity > 0)
        {
            Log.LoadedOverCapacity(_logger, overCapacity, _options.MaxPeers);
        }

        Log.PeersLoaded(_logger, records?.Count ?? 0, added);
    }

    /// <summary>
    /// A stored record as far as it can be believed: a time in the future (beyond a small clock skew) is unknown,
    /// not trusted (a last-good time far ahead would keep a peer "good" and unchecked forever), and a negative try
    /// count is none. Whatever the store, nothing in a record can make scheduling throw.
    /// </summary>
    private PeerRecord WithPlausibleHistory(PeerRecord record, DateTimeOffset now)
    {
        var latest = now + LoadedClockSkew;
        var lastGood = record.LastGood > latest ? null : record.LastGood;
        var lastTry = record.LastTry > latest ? null : record.LastTry;
        if (lastGood == record.LastGood && lastTry == record.LastTry && record.TryCount >= 0)
        {
            return record;
        }

        Log.LoadedHistoryDistrusted(_logger, record.Host.Value, record.LastGood, record.LastTry, record.TryCount);
        return record with { LastGood = lastGood, LastTry = lastTry, TryCount = Math.Max(0, record.TryCount) };
    }

    /// <summary>
    /// When a loaded peer is first checked, from its history: a peer that failed n times waits Wakeup × 2^n from
    /// its last try; a good one is checked when it is about to go stale; a new one at once.
    /// </summary>
    internal DateTimeOffset FirstCheckTime(PeerRecord record, DateTimeOffset now)
    {
        DateTimeOffset due;
        if (record.TryCount > 0 || record.IsBad)
        {
            due = AddSaturating(record.LastTry ?? now, Backoff(Math.Max(1, record.TryCount)));
        }
        else if (record.LastGood is { } lastGood)
        {
            due = AddSaturating(lastGood, GoodRecheckDelay);
        }
        else
        {
            due = now;
        }

        return due < now ? now : due;
    }

    private static DateTimeOffset AddSaturating(DateTimeOffset time, TimeSpan delay)
        => delay > DateTimeOffset.MaxValue - time ? DateTimeOffset.MaxValue : time + delay;

    private TimeSpan GoodRecheckDelay => _options.StaleAfter - (2 * _options.Wakeup);

    /// <summary>Wakeup × 2^tries, capped so that it cannot overflow.</summary>
    internal TimeSpan Backoff(int tries)
    {
        var factor = Math.Pow(2, Math.Min(tries, 40));
        var ticks = Math.Min(_options.Wakeup.Ticks * factor, TimeSpan.FromDays(3650).Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    private void ImportIdentitiesAndSeeds()
    {
        NotePeers(_identities, PeerSources.Self, checkPorts: false, capped: false);
        var seeds = new List<PeerRealName>(_options.SeedPeers.Count);
        foreach (var text in _options.SeedPeers)
        {
            if (PeerRealName.TryParse(text.AsSpan(), _options.DefaultPorts, out var seed, out _))
            {
                seeds.Add(seed);
            }
        }

        NotePeers(seeds, PeerSources.Seed, checkPorts: false, capped: false);
    }

    private async Task DetectProxyOnceAsync(CancellationToken cancellationToken)
    {
        if (_proxy is null)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(_options.RequestTimeout, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            var endPoint = await _proxy.DetectAsync(linked.Token).ConfigureAwait(false);
            if (endPoint is not null)
            {
                Log.ProxyInUse(_logger, endPoint.ToString() ?? "?");
            }
            else
            {
                Log.NoProxyInUse(_logger, _options.ProxyRetryInterval);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            Log.ProxyLookupFailed(_logger, ex);
        }
    }

    private async Task ProxyLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (_proxy!.ProxyEndPoint is null)
            {
                await Task.Delay(_options.ProxyRetryInterval, _timeProvider, cancellationToken).ConfigureAwait(false);
                await DetectProxyOnceAsync(cancellationToken).ConfigureAwait(false);
            }

            // Onion seeds were dropped while no proxy was known: import them now.
            ImportIdentitiesAndSeeds();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.LoopCrashed(_logger, ex);
        }
    }

    private async Task BlacklistLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_options.BlacklistRefreshInterval, _timeProvider, cancellationToken).ConfigureAwait(false);
                await RefreshBlacklistAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Log.LoopCrashed(_logger, ex);
        }
    }

    /// <summary>Refreshes the blacklist, then wakes every peer it now covers so that its next check marks it bad.</summary>
    internal async Task RefreshBlacklistAsync(CancellationToken cancellationToken)
    {
        await _blacklist.RefreshAsync(cancellationToken).ConfigureAwait(false);
        var now = _timeProvider.GetUtcNow();
        foreach (var record in _table.GetRecords())
        {
            if (!record.IsBad && _blacklist.IsBlacklisted(record.Host, record.IPAddress, now))
            {
                Log.BlacklistWakesPeer(_logger, record.Host.Value);
                _scheduler.Wake(record.Host);
            }
        }
    }

    private void RaiseStatusChange(PeerHost host, PeerStatus? oldStatus, PeerStatus? newStatus, string? reason)
    {
        if (oldStatus == newStatus || StatusChanged is not { } handler)
        {
            return;
        }

        try
        {
            handler(this, new PeerStatusChange(host, oldStatus, newStatus, reason, _timeProvider.GetUtcNow()));
        }
        catch (Exception ex)
        {
            Log.StatusHandlerFailed(_logger, ex);
        }
    }
}
