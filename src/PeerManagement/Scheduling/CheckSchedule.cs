namespace PeerManagement;

/// <summary>
/// When a peer is checked, as pure functions of its record and the time: the first check of a loaded peer, the
/// re-check of a good one, the back-off after failures, and when a failing peer is forgotten. It holds no state
/// and calls nothing: the scheduler only queues what it answers. The operator's peers (the seeds and our own
/// identities) are never forgotten, and their back-off stops growing at <see cref="MaxOperatorBackoff"/>, so a
/// node whose seeds are not up yet keeps trying them.
/// </summary>
/// <param name="StaleAfter">How long a success keeps a peer good.</param>
/// <param name="Wakeup">The back-off unit: the n-th failure in a row waits <c>Wakeup × 2^n</c>.</param>
/// <param name="ForgetAfterTries">Failures in a row after which a peer that was never good (or is bad) is forgotten.</param>
/// <param name="ForgetAfterTriesOnceGood">Failures in a row after which a peer that was once good and is not bad is forgotten.</param>
internal sealed record CheckSchedule(TimeSpan StaleAfter, TimeSpan Wakeup, int ForgetAfterTries, int ForgetAfterTriesOnceGood)
{
    /// <summary>The longest back-off: beyond it, doubling only risks overflow.</summary>
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromDays(3650);

    /// <summary>The longest wait between two tries of a seed or of our own identity.</summary>
    public static readonly TimeSpan MaxOperatorBackoff = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a peer that is bad for a reason that can change (<see cref="BadReasons.CanChange"/>: wrong height,
    /// header mismatch) waits for its second chance; zero turns second chances off (it backs off like any failure).
    /// </summary>
    public TimeSpan BadRetryInterval { get; init; }

    /// <summary>The schedule of the discovery settings.</summary>
    public static CheckSchedule From(PeerManagementOptions options)
        => new(options.StaleAfter, options.Wakeup, options.ForgetAfterTries, options.ForgetAfterTriesOnceGood) { BadRetryInterval = options.BadRetryInterval };

    /// <summary>
    /// Whether a peer gets second chances: it is bad for a reason that can change, and second chances are on. Such a
    /// peer is checked again every <see cref="BadRetryInterval"/> and forgotten only after
    /// <see cref="ForgetAfterTriesOnceGood"/> tries; a blacklisted or wrong-genesis one keeps the ordinary rule.
    /// </summary>
    public bool GetsSecondChance(PeerRecord record) => BadRetryInterval > TimeSpan.Zero && record.IsBad && BadReasons.CanChange(record.BadReason);

    /// <summary>How long after a success a good peer is checked again: just before it would go stale.</summary>
    public TimeSpan GoodRecheckDelay => StaleAfter - (2 * Wakeup);

    /// <summary>
    /// When a peer loaded with its history is first checked: a peer that failed n times (or is bad) waits
    /// <c>Wakeup × 2^n</c> from its last try; a good one is checked when it is about to go stale; a new one now.
    /// Never before <paramref name="now"/>.
    /// </summary>
    public DateTimeOffset FirstCheck(PeerRecord record, DateTimeOffset now)
    {
        DateTimeOffset due;
        if (GetsSecondChance(record))
        {
            due = AddSaturating(record.LastTry ?? now, BadRetryInterval);
        }
        else if (record.TryCount > 0 || record.IsBad)
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

    /// <summary>
    /// When a record's own history makes the peer due, whoever checked it (a fleet's instances share records): after
    /// failures, <c>Wakeup × 2^n</c> from the last try (capped for the operator's peers); a good one just before it
    /// goes stale; a never-tried one at once (<see cref="DateTimeOffset.MinValue"/>).
    /// </summary>
    public DateTimeOffset NextDue(PeerRecord record, bool operatorPeer)
    {
        if (record.TryCount > 0 || record.IsBad)
        {
            return record.LastTry is { } lastTry ? AddSaturating(lastTry, Backoff(Math.Max(1, record.TryCount), operatorPeer)) : DateTimeOffset.MinValue;
        }

        return record.LastGood is { } lastGood ? AddSaturating(lastGood, GoodRecheckDelay) : DateTimeOffset.MinValue;
    }

    /// <summary>When a peer that was just found good is checked again.</summary>
    public DateTimeOffset AfterGood(DateTimeOffset now) => AddSaturating(now, GoodRecheckDelay);

    /// <summary>When a peer whose record shows <paramref name="tries"/> failures in a row is checked again.</summary>
    /// <param name="tries">The failures in a row.</param>
    /// <param name="now">The time of the failure.</param>
    /// <param name="operatorPeer">Whether it is a seed or our own identity (its back-off is capped).</param>
    public DateTimeOffset AfterFailure(int tries, DateTimeOffset now, bool operatorPeer = false)
        => AddSaturating(now, Backoff(tries, operatorPeer));

    /// <summary>When a peer is checked again after a failed or bad try whose outcome <paramref name="afterFailure"/> records: its second chance, or the back-off.</summary>
    /// <param name="afterFailure">The record after the try.</param>
    /// <param name="now">The time of the failure.</param>
    /// <param name="operatorPeer">Whether it is a seed or our own identity (its back-off is capped).</param>
    public DateTimeOffset AfterFailure(PeerRecord afterFailure, DateTimeOffset now, bool operatorPeer = false)
        => GetsSecondChance(afterFailure) ? AddSaturating(now, BadRetryInterval) : AfterFailure(afterFailure.TryCount, now, operatorPeer);

    /// <summary>When a check that could not run (no proxy known) is tried again; it does not count as a try.</summary>
    public DateTimeOffset AfterSkip(DateTimeOffset now) => AddSaturating(now, Wakeup);

    /// <summary><c>Wakeup × 2^tries</c>, capped so that it cannot overflow, and at <see cref="MaxOperatorBackoff"/> for the operator's peers.</summary>
    public TimeSpan Backoff(int tries, bool operatorPeer = false)
    {
        var factor = Math.Pow(2, Math.Clamp(tries, 0, 40));
        var cap = operatorPeer ? Math.Max(MaxOperatorBackoff.Ticks, Wakeup.Ticks) : MaxBackoff.Ticks;
        return TimeSpan.FromTicks((long)Math.Min(Wakeup.Ticks * factor, cap));
    }

    /// <summary>
    /// Whether a peer is forgotten, given its record after a failed or bad try: after
    /// <see cref="ForgetAfterTriesOnceGood"/> failures if it was once good and is not bad, otherwise after
    /// <see cref="ForgetAfterTries"/>. The operator's peers are never forgotten.
    /// </summary>
    public bool ShouldForget(PeerRecord afterFailure, bool operatorPeer = false)
    {
        if (operatorPeer)
        {
            return false;
        }

        var limit = (afterFailure.LastGood is not null && !afterFailure.IsBad) || GetsSecondChance(afterFailure) ? ForgetAfterTriesOnceGood : ForgetAfterTries;
        return afterFailure.TryCount >= limit;
    }

    private static DateTimeOffset AddSaturating(DateTimeOffset time, TimeSpan delay)
        => delay > DateTimeOffset.MaxValue - time ? DateTimeOffset.MaxValue : time + delay;
}
