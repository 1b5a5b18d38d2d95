using System.Net;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// The blacklist in force: the union of every <see cref="IBlacklistSource"/>'s last good answer. A source that
/// fails keeps its previous entries. Reads are lock-free (one immutable set swapped on refresh).
/// </summary>
internal sealed class PeerBlacklist
{
    private readonly IReadOnlyList<IBlacklistSource> _sources;
    private readonly BlacklistSet[] _perSource;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _refreshGate = new(1, 1);
    private volatile BlacklistSet _current = BlacklistSet.Empty;
    private volatile BlacklistSet _runtime = BlacklistSet.Empty;
    private volatile IReadOnlyList<string>[] _rawPerSource = [];
    private long _version;

    public PeerBlacklist(IEnumerable<IBlacklistSource> sources, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(logger);
        _sources = [.. sources];
        _perSource = new BlacklistSet[_sources.Count];
        Array.Fill(_perSource, BlacklistSet.Empty);
        _logger = logger;
    }

    /// <summary>Whether any source is configured (otherwise there is nothing to refresh).</summary>
    public bool HasSources => _sources.Count > 0;

    /// <summary>Grows with every refresh.</summary>
    public long Version => Interlocked.Read(ref _version);

    /// <summary>Whether the sources were read at least once.</summary>
    public bool Refreshed { get; private set; }

    /// <summary>How many entries are in force.</summary>
    public int Count => _current.Count + _runtime.Count;

    /// <summary>Whether a peer is blacklisted now.</summary>
    public bool IsBlacklisted(PeerHost host, IPAddress? address, DateTimeOffset now)
        => _current.Contains(host, address, now) || _runtime.Contains(host, address, now);

    /// <summary>Replaces the run-time entries (<see cref="RuntimeBans"/>), which combine with the sources'.</summary>
    public void SetRuntimeEntries(IEnumerable<string> entries)
    {
        _runtime = BlacklistSet.Parse(entries);
        Interlocked.Increment(ref _version);
    }

    /// <summary>The entries of the configured sources, as last read, in canonical form (unreadable ones left out).</summary>
    public IReadOnlyList<PeerBan> ConfiguredEntries()
    {
        var entries = new List<PeerBan>();
        foreach (var raw in _rawPerSource)
        {
            foreach (var text in raw)
            {
                if (BlacklistText.TryParseEntry(text, out var match, out var expires))
                {
                    entries.Add(new PeerBan(match, expires, Reason: null, Created: null, Configured: true));
                }
            }
        }

        return entries;
    }

    /// <summary>Reads every source again; a failing source keeps its previous entries and logs an error.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _refreshGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var raw = _rawPerSource.Length == _sources.Count ? (IReadOnlyList<string>[])_rawPerSource.Clone() : new IReadOnlyList<string>[_sources.Count];
            for (var i = 0; i < _sources.Count; i++)
            {
                raw[i] ??= [];
                try
                {
                    var entries = await _sources[i].GetEntriesAsync(cancellationToken).ConfigureAwait(false);
                    _perSource[i] = BlacklistSet.Parse(entries ?? []);
                    raw[i] = entries ?? [];
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    Log.BlacklistSourceFailed(_logger, _sources[i].ToString() ?? _sources[i].GetType().Name, _perSource[i].Count, ex);
                }
            }

            _rawPerSource = raw;
            Refreshed = true;
            var combined = BlacklistSet.Combine(_perSource);
            _current = combined;
            Interlocked.Increment(ref _version);
            Log.BlacklistRefreshed(_logger, combined.Count, combined.Skipped);
        }
        finally
        {
            _refreshGate.Release();
        }
    }
}
