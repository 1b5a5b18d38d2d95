using System.Diagnostics.Metrics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// The discovery engine: finds, checks, schedules, forgets and answers peers. It composes the parts that own each
/// rule — admission (<c>Discovery/PeerAdmission</c>), the schedule (<c>Scheduling/</c>), the check
/// (<c>Checking/</c>), the answers to other nodes (<c>Answers/</c>) — and owns their lifetime. Start it with
/// <see cref="StartAsync"/> (it is also an <see cref="IHostedService"/>); stop it with <see cref="StopAsync"/> or by
/// disposing it. It depends only on the plug-in interfaces: give it a real <see cref="IPeerConnector"/> and
/// <see cref="IJsonRpcSessionFactory"/> and it works over the network; register <see cref="CreateRequestHandler"/>
/// on a listener to answer other nodes.
/// </summary>
public sealed partial class PeerManager : IHostedService, IAsyncDisposable, IDisposable
{
    private readonly PeerTable _table;
    private readonly PeerManagementOptions _options;
    private readonly OwnIdentities _identities;
    private readonly PeerBlacklist _blacklist;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly IProxyConnector? _proxy;
    private readonly DiscoveryMetrics _metrics;
    private readonly PeerCheckScheduler _scheduler;
    private readonly PeerAdmission _admission;
    private readonly StoredPeersLoader _loader;
    private readonly PeerChecker _checker;
    private readonly BlacklistRefresher _blacklistRefresher;
    private readonly PeerListRefresher _listRefresher;
    private readonly ProxyWatcher? _proxyWatcher;
    private readonly ServerVersionAnswer _versionAnswer;
    private readonly PeersSubscribeAnswer _peersAnswer;
    private readonly AddPeerPolicy _addPeerPolicy;
    private readonly FleetRecordSink? _fleetRecords;
    private readonly Lock _stateGate = new();
    private readonly List<Task> _background = [];
    private CancellationTokenSource? _stopping;
    private int _state; // 0 new, 1 started, 2 stopped

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
    /// <param name="meterFactory">Creates the meter of the discovery metrics; <see langword="null"/> for a meter of its own.</param>
    /// <param name="proxyOptions">How long a look for the proxy may take and how often it is looked for again while none is found; <see langword="null"/> for the defaults.</param>
    /// <param name="banStore">Where run-time bans are kept; <see langword="null"/> for memory only.</param>
    /// <param name="addressFamilyProbe">Detects the reachable address families at start; <see langword="null"/> to assume both.</param>
    /// <param name="fleet">How this instance shares its table with other instances (check leases, records, the add_peer pause); <see langword="null"/> to work alone.</param>
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
        Random? random = null,
        IMeterFactory? meterFactory = null,
        IOptions<ProxyOptions>? proxyOptions = null,
        IBanStore? banStore = null,
        IAddressFamilyProbe? addressFamilyProbe = null,
        PeerFleetCoordination? fleet = null)
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
        _timeProvider = timeProvider;
        _proxy = proxy;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger("PeerManagement.Discovery");
        random ??= Random.Shared;
        _identities = new OwnIdentities(_options, chain);
        _blacklist = new PeerBlacklist(blacklistSources, loggerFactory.CreateLogger("PeerManagement.Blacklist"));
        _metrics = new DiscoveryMetrics(table, meterFactory);

        var schedule = CheckSchedule.From(_options);
        _checker = new PeerChecker(
            table, _options, connector, sessionFactory, verifier ?? new ElectrumPeerVerifier(chain, options), _blacklist, proxy,
            schedule, new SelfAnnouncer(_options, _identities, _logger), _metrics, timeProvider, _logger);
        _scheduler = new PeerCheckScheduler(timeProvider, _options.MaxConcurrentChecks, _checker.CheckScheduledAsync);
        _admission = new PeerAdmission(table, _options, _scheduler, _blacklist, proxy, random, timeProvider, _logger);
        _checker.Admission = _admission;
        _checker.Scheduler = _scheduler;
        _loader = new StoredPeersLoader(store, table, _identities, _scheduler, schedule, _options.MaxPeers, timeProvider, _logger);
        _blacklistRefresher = new BlacklistRefresher(_blacklist, table, _scheduler, _options.BlacklistRefreshInterval, timeProvider, _logger);
        _listRefresher = new PeerListRefresher(table, _scheduler, _identities, _options.PeerListRefreshInterval, timeProvider, _logger);
        _proxyWatcher = proxy is null ? null : new ProxyWatcher(proxy, proxyOptions?.Value ?? new ProxyOptions(), timeProvider, _logger);
        _versionAnswer = new ServerVersionAnswer(_options);
        _peersAnswer = new PeersSubscribeAnswer(table, _options, _identities, _blacklist, proxy, random, timeProvider, _metrics);
        _addPeerPolicy = new AddPeerPolicy(_options, _admission, table, resolver ?? new OperatingSystemHostNameResolver(), random, timeProvider, _logger, fleet?.AddPeerGuard);
        InitOperator(banStore, addressFamilyProbe, loggerFactory);
        if (fleet?.Records is { } records)
        {
            _fleetRecords = new FleetRecordSink(table, records, _admission, _scheduler, schedule, timeProvider, _logger);
        }

        if (fleet?.CheckLease is not null || _fleetRecords is not null)
        {
            _checker.FleetGate = new FleetCheckGate(fleet?.CheckLease, _fleetRecords, schedule, timeProvider);
        }

        table.Changed += OnTableChanged;
    }

    /// <summary>
    /// Raised when a peer's status changes: added (old status <see langword="null"/>), checked, marked bad, or
    /// forgotten (new status <see langword="null"/>). The table's <see cref="PeerTable.Changed"/>, less the changes
    /// that leave the status as it was. Handlers run on the thread that made the change; keep them short.
    /// </summary>
    public event EventHandler<PeerStatusChange>? StatusChanged;

    /// <summary>The discovery mode in force.</summary>
    public PeerDiscoveryMode Mode => _options.Discovery;

    /// <summary>The table of known peers, to read: its changes go through the manager.</summary>
    public PeerTable Table => _table;

    /// <summary>Our own identities (from the options).</summary>
    public IReadOnlyList<PeerRealName> Identities => _identities.All;

    /// <summary>The proxy's address when one is known; otherwise <see langword="null"/>.</summary>
    public EndPoint? ProxyEndPoint => _proxy?.ProxyEndPoint;

    /// <summary>Our own features, as answered to <c>server.features</c> and sent with <c>server.add_peer</c>.</summary>
    public PeerFeatures OwnFeatures => _identities.Features;

    internal PeerCheckScheduler Scheduler => _scheduler;

    internal PeerBlacklist Blacklist => _blacklist;

    internal int ActiveBucketLocks => _checker.ActiveBucketLocks;

    internal int AddPeerPauseCount => _addPeerPolicy.PauseCount;

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

        Log.DiscoveryStarting(_logger, _options.Discovery, _options.Announce, _identities.Clearnet?.Format(_options.DefaultPorts) ?? "none", _options.ForceProxy);
        if (_options.Discovery != PeerDiscoveryMode.On)
        {
            if (_options.Discovery == PeerDiscoveryMode.Off)
            {
                Log.DiscoveryOff(_logger);
            }
            else
            {
                Log.DiscoverySelfOnly(_logger);
            }

            return;
        }

        var stopping = _stopping.Token;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping);
        var firstRefresh = _blacklist.HasSources ? _blacklistRefresher.RefreshAsync(linked.Token) : Task.CompletedTask;
        var proxyFound = _proxyWatcher?.DetectOnceAsync(linked.Token) ?? Task.CompletedTask;
        await _loader.LoadAsync(linked.Token).ConfigureAwait(false);
        await Task.WhenAll(firstRefresh, proxyFound).ConfigureAwait(false);
        await StartOperatorAsync(linked.Token).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();

        _admission.ImportIdentitiesAndSeeds(_identities.All);
        _scheduler.Start();
        _listRefresher.Start();
        // Called directly, not through Task.Run: each loop arms its first timer before StartAsync returns, so the
        // first refresh is due exactly one interval after start (and a fake clock advanced after start reaches it).
        lock (_stateGate)
        {
            if (_blacklist.HasSources)
            {
                _background.Add(_blacklistRefresher.RunAsync(stopping));
            }

            if (_fleetRecords is not null)
            {
                _background.Add(_fleetRecords.RunAsync(stopping));
            }

            if (_proxyWatcher is { Found: false } watcher)
            {
                // Onion seeds were dropped while no proxy was known: import them once one is.
                _background.Add(watcher.RunAsync(() => _admission.ImportIdentitiesAndSeeds(_identities.All), stopping));
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
                _metrics.Dispose();
                return;
            }
        }

        StopOperator();
        _listRefresher.Dispose();
        await stopping!.CancelAsync().ConfigureAwait(false);
        var all = Task.WhenAll([_scheduler.DisposeAsync().AsTask(), .. background]);
        await all.WaitAsync(cancellationToken).ConfigureAwait(false);
        stopping.Dispose();
        _metrics.Dispose();
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
    /// <exception cref="ArgumentException">The text is not a real name (a host, then only known tokens: <c>v1.4</c>, <c>p10000</c>, <c>s[port]</c>, <c>t[port]</c>, ports 1–65535), or the peer is not acceptable (not public, blacklisted, or an onion peer while no proxy is known); the message says why, quoting at most 100 characters of the input.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public ValueTask<PeerNoteResult> AddPeerAsync(string realName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(realName);
        cancellationToken.ThrowIfCancellationRequested();
        // Validated whole, as an operator's input should be: every token a known form, no part silently dropped.
        if (!PeerRealName.TryParseStrict(realName.AsSpan(), _options.DefaultPorts, out var name, out var error))
        {
            throw new ArgumentException($"'{PeerRealName.Quote(realName)}' is not a peer real name: {error}.", nameof(realName));
        }

        if (_admission.RejectReason(name.Host) is { } reason)
        {
            throw new ArgumentException($"Peer '{PeerRealName.Quote(realName)}' is not acceptable: {reason}.", nameof(realName));
        }

        return ValueTask.FromResult(_admission.NotePeer(name, PeerSources.Admin, checkPorts: true));
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
    public IJsonRpcRequestHandler CreateRequestHandler(IJsonRpcRequestHandler? next = null)
        => new PeerRequestHandler(_versionAnswer, _identities, _peersAnswer, _addPeerPolicy, next);

    /// <summary>Checks one peer now (tests): the outcome, and the next check time.</summary>
    internal Task<(PeerCheckOutcome? Outcome, DateTimeOffset? Next)> CheckPeerAsync(PeerHost host, CancellationToken cancellationToken)
        => _checker.CheckPeerAsync(host, cancellationToken);

    /// <summary>Notes candidates from one source (tests; see <see cref="PeerAdmission.NotePeers"/>).</summary>
    internal int NotePeers(IReadOnlyList<PeerRealName> candidates, string source, bool checkPorts, bool capped)
        => _admission.NotePeers(candidates, source, checkPorts, capped);

    /// <summary>Refreshes the blacklist and wakes the peers it now covers (tests).</summary>
    internal Task RefreshBlacklistAsync(CancellationToken cancellationToken) => _blacklistRefresher.RefreshAsync(cancellationToken);

    /// <summary>The <c>server.peers.subscribe</c> answer for an asker, to be written once (benchmarks, tests).</summary>
    internal JsonNode AnswerPeersSubscribe(EndPoint? asker) => _peersAnswer.Answer(asker);

    /// <summary>A fresh <c>server.peers.subscribe</c> answer as UTF-8 text (tests).</summary>
    internal byte[] BuildPeersSubscribe(bool isTor) => _peersAnswer.Build(isTor);

    /// <summary>Builds a fresh <c>server.peers.subscribe</c> answer into the cache, as a miss does (benchmarks).</summary>
    /// <returns>The answer's length in bytes.</returns>
    internal int RebuildPeersSubscribe(bool isTor) => _peersAnswer.Rebuild(isTor);

    /// <summary>How many <c>server.peers.subscribe</c> answers came from the cache and how many were built.</summary>
    internal (long Hits, long Misses) PeersSubscribeCache => (_peersAnswer.Hits, _peersAnswer.Misses);

    private void OnTableChanged(object? sender, PeerStatusChange change)
    {
        _admission.Eviction.Observe(change);
        if (change.OldStatus == change.NewStatus || StatusChanged is not { } handler)
        {
            return;
        }

        try
        {
            handler(this, change);
        }
        catch (Exception ex)
        {
            Log.StatusHandlerFailed(_logger, ex);
        }
    }
}
