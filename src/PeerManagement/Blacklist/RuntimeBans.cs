using System.Globalization;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// The bans added while the node runs: kept in an <see cref="IBanStore"/> (saved before they take effect, so a
/// failed save changes nothing), combined with the configured sources in <see cref="PeerBlacklist"/>. A ban that
/// would cover one of our own identities is refused; a configured entry cannot be removed here.
/// </summary>
internal sealed class RuntimeBans(IBanStore store, PeerBlacklist blacklist, OwnIdentities identities, TimeProvider timeProvider, ILogger logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IReadOnlyList<PeerBan> _bans = [];
    private bool _loaded;

    /// <summary>Loads the saved bans once (at start, or before the first change); a failing store starts empty.</summary>
    public async Task EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _loaded))
        {
            return;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Every entry in force: the run-time bans not expired, then the configured entries.</summary>
    public IReadOnlyList<PeerBan> List()
    {
        var now = timeProvider.GetUtcNow();
        var all = new List<PeerBan>();
        all.AddRange(Volatile.Read(ref _bans).Where(b => b.Expires is null || b.Expires > now));
        all.AddRange(blacklist.ConfiguredEntries().Where(b => b.Expires is null || b.Expires > now));
        return all;
    }

    /// <summary>The identity a match would cover, or <see langword="null"/>.</summary>
    public string? CoveredIdentity(PeerMatch match)
        => identities.All.FirstOrDefault(i => match.Matches(i.Host, null))?.Host.Value;

    /// <summary>Adds (or replaces) a ban and saves it; it is in force when the returned task completes.</summary>
    /// <exception cref="ArgumentException">The ban would cover one of our own identities.</exception>
    /// <exception cref="IOException">The store could not be written; nothing changed.</exception>
    public async Task<PeerBan> AddAsync(PeerMatch match, TimeSpan? duration, string? reason, CancellationToken cancellationToken)
    {
        if (CoveredIdentity(match) is { } own)
        {
            throw new ArgumentException($"A ban of {match} would cover our own identity {own}; refused.", nameof(match));
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
            var now = timeProvider.GetUtcNow();
            DateTimeOffset? expires = duration is { } d ? (d >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue : now + d) : null;
            var ban = new PeerBan(match.ToString(), expires, reason, now, Configured: false);
            var text = match.ToString();
            PeerBan[] updated = [.. _bans.Where(b => b.Match != text && (b.Expires is null || b.Expires > now)), ban];
            await store.SaveAsync(updated, cancellationToken).ConfigureAwait(false);
            Apply(updated);
            Log.BanAdded(logger, ban.Match, FormatUntil(expires), reason ?? "no reason given");
            return ban;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes a run-time ban and saves; a configured entry is not removed.</summary>
    /// <exception cref="IOException">The store could not be written; nothing changed.</exception>
    public async Task<BanRemoval> RemoveAsync(PeerMatch match, CancellationToken cancellationToken)
    {
        var text = match.ToString();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await LoadCoreAsync(cancellationToken).ConfigureAwait(false);
            var now = timeProvider.GetUtcNow();
            if (!_bans.Any(b => b.Match == text && (b.Expires is null || b.Expires > now)))
            {
                return blacklist.ConfiguredEntries().Any(b => b.Match == text) ? BanRemoval.Configured : BanRemoval.NotFound;
            }

            PeerBan[] updated = [.. _bans.Where(b => b.Match != text && (b.Expires is null || b.Expires > now))];
            await store.SaveAsync(updated, cancellationToken).ConfigureAwait(false);
            Apply(updated);
            Log.BanRemoved(logger, text);
            // Still covered by a configured entry: say so, the peer stays banned.
            return blacklist.ConfiguredEntries().Any(b => b.Match == text) ? BanRemoval.RemovedButConfigured : BanRemoval.Removed;
        }
        finally
        {
            _gate.Release();
        }
    }

    internal static string FormatUntil(DateTimeOffset? expires)
        => expires is { } e ? e.ToString("O", CultureInfo.InvariantCulture) : "never";

    private async Task LoadCoreAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }

        if (blacklist.HasSources && !blacklist.Refreshed)
        {
            // A manager that is not started (no chain view, discovery off) still knows its configured entries.
            await blacklist.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }

        IReadOnlyList<PeerBan> loaded;
        try
        {
            loaded = await store.LoadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.BansLoadFailed(logger, ex);
            loaded = [];
        }

        // A saved ban that now covers our identity (the identities changed) is not applied.
        Apply([.. loaded.Where(b => !b.Configured && PeerMatch.TryParse(b.Match, out var m, out _) && CoveredIdentity(m) is null)]);
        Log.BansLoaded(logger, _bans.Count);
        Volatile.Write(ref _loaded, true);
    }

    private void Apply(IReadOnlyList<PeerBan> bans)
    {
        Volatile.Write(ref _bans, bans);
        blacklist.SetRuntimeEntries(bans.Select(b => b.Expires is { } e ? $"{b.Match} until {e.ToString("O", CultureInfo.InvariantCulture)}" : b.Match));
    }
}
