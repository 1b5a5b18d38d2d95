namespace PeerManagement.Tests.Scheduling;

/// <summary>The check schedule as a table of cases: a record and a time in, a time or a verdict out; no manager.</summary>
public class CheckScheduleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
    private static readonly CheckSchedule Schedule = CheckSchedule.From(new PeerManagementOptions());

    private static PeerRecord Record(int tries = 0, int? lastGoodMinutesAgo = null, int? lastTryMinutesAgo = null, bool bad = false) => new()
    {
        Host = PeerHost.Parse("a.example.org"),
        TryCount = tries,
        LastGood = lastGoodMinutesAgo is { } good ? Now - TimeSpan.FromMinutes(good) : null,
        LastTry = lastTryMinutesAgo is { } tried ? Now - TimeSpan.FromMinutes(tried) : null,
        BadReason = bad ? "incorrect genesis hash" : null,
    };

    public static TheoryData<string, PeerRecord, double> FirstChecks => new()
    {
        { "never tried: now", Record(), 0 },
        { "good 10 min ago: when it is about to go stale (170 min after)", Record(lastGoodMinutesAgo: 10, lastTryMinutesAgo: 10), 160 },
        { "good 3 h ago: now", Record(lastGoodMinutesAgo: 180), 0 },
        { "failed twice, last try 1 min ago: Wakeup × 4 after it", Record(tries: 2, lastTryMinutesAgo: 1, lastGoodMinutesAgo: 1440), 19 },
        { "bad once, last try 1 min ago: Wakeup × 2 after it", Record(tries: 1, lastTryMinutesAgo: 1, bad: true), 9 },
        { "bad with no try counted: as one failure", Record(lastTryMinutesAgo: 1, bad: true), 9 },
        { "failed long ago: now", Record(tries: 3, lastTryMinutesAgo: 600), 0 },
        { "failed with no last try known: Wakeup × 2^n from now", Record(tries: 1), 10 },
    };

    [Theory]
    [MemberData(nameof(FirstChecks))]
    public void A_loaded_peer_is_first_checked_according_to_its_history(string because, PeerRecord record, double minutesFromNow)
        => Schedule.FirstCheck(record, Now).Should().Be(Now + TimeSpan.FromMinutes(minutesFromNow), because);

    [Theory]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(3, 40)]
    [InlineData(5, 160)]
    [InlineData(10, 5120)]
    public void The_nth_failure_waits_wakeup_times_two_to_the_n(int tries, double minutes)
    {
        Schedule.Backoff(tries).Should().Be(TimeSpan.FromMinutes(minutes));
        Schedule.AfterFailure(tries, Now).Should().Be(Now + TimeSpan.FromMinutes(minutes));
    }

    [Fact]
    public void A_good_peer_is_checked_again_two_wakeups_before_it_goes_stale()
        => Schedule.AfterGood(Now).Should().Be(Now + TimeSpan.FromHours(3) - TimeSpan.FromMinutes(10));

    [Fact]
    public void A_skipped_check_is_tried_again_after_one_wakeup()
        => Schedule.AfterSkip(Now).Should().Be(Now + TimeSpan.FromMinutes(5));

    [Theory]
    [InlineData(2, false, false, false)]
    [InlineData(3, false, false, true)]
    [InlineData(3, true, false, false)]
    [InlineData(9, true, false, false)]
    [InlineData(10, true, false, true)]
    [InlineData(3, true, true, true)]
    public void A_failing_peer_is_forgotten_after_3_tries_or_10_if_it_was_once_good_and_is_not_bad(int tries, bool onceGood, bool bad, bool forgotten)
        => Schedule.ShouldForget(Record(tries: tries, lastGoodMinutesAgo: onceGood ? 600 : null, bad: bad)).Should().Be(forgotten);

    [Theory]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(1000)]
    public void The_operators_peers_are_never_forgotten_and_wait_at_most_an_hour(int tries)
    {
        Schedule.ShouldForget(Record(tries: tries), operatorPeer: true).Should().BeFalse();
        Schedule.ShouldForget(Record(tries: tries, bad: true), operatorPeer: true).Should().BeFalse();
        Schedule.AfterFailure(tries, Now, operatorPeer: true).Should().Be(Now + TimeSpan.FromMinutes(Math.Min(60, 5 * Math.Pow(2, tries))));
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(64)]
    [InlineData(-3)]
    public void Absurd_try_counts_and_the_end_of_the_calendar_never_overflow(int tries)
    {
        var endOfTime = DateTimeOffset.MaxValue - TimeSpan.FromDays(1);

        Schedule.Backoff(tries).Should().BeGreaterThanOrEqualTo(TimeSpan.Zero).And.BeLessThanOrEqualTo(TimeSpan.FromDays(3650));
        Schedule.AfterFailure(tries, endOfTime).Should().BeOnOrAfter(endOfTime);
        Schedule.FirstCheck(Record(tries: Math.Max(tries, 1)) with { LastTry = endOfTime }, Now).Should().BeOnOrAfter(endOfTime);
        Schedule.FirstCheck(Record() with { LastGood = DateTimeOffset.MaxValue }, Now).Should().Be(DateTimeOffset.MaxValue);
        Schedule.AfterGood(DateTimeOffset.MaxValue - TimeSpan.FromMinutes(1)).Should().Be(DateTimeOffset.MaxValue);
    }

    private static PeerRecord BadFor(string reason, int tries = 1) => new()
    {
        Host = PeerHost.Parse("a.example.org"),
        TryCount = tries,
        LastTry = Now - TimeSpan.FromMinutes(1),
        BadReason = reason,
    };

    public static TheoryData<string, string, double> SecondChances => new()
    {
        { "wrong height: the long interval", "its height 900 is 100 blocks away from ours (1000)", 60 },
        { "header mismatch: the long interval", "its header at height 990 does not match ours", 60 },
        { "wrong genesis: the ordinary back-off", "incorrect genesis hash", 10 },
        { "blacklisted: the ordinary back-off", "blacklisted", 10 },
    };

    [Theory]
    [MemberData(nameof(SecondChances))]
    public void A_bad_peer_whose_reason_can_change_gets_a_second_chance_after_the_long_interval(string because, string reason, double minutes)
        => Schedule.AfterFailure(BadFor(reason), Now).Should().Be(Now + TimeSpan.FromMinutes(minutes), because);

    [Theory]
    [MemberData(nameof(SecondChances))]
    public void A_loaded_bad_peer_waits_the_same_from_its_last_try(string because, string reason, double minutes)
        => Schedule.FirstCheck(BadFor(reason), Now).Should().Be(Now - TimeSpan.FromMinutes(1) + TimeSpan.FromMinutes(minutes), because);

    [Theory]
    [InlineData("its height 900 is 100 blocks away from ours (1000)", 3, false)]
    [InlineData("its height 900 is 100 blocks away from ours (1000)", 10, true)]
    [InlineData("incorrect genesis hash", 3, true)]
    public void A_peer_on_second_chances_is_forgotten_only_after_the_once_good_limit(string reason, int tries, bool forgotten)
        => Schedule.ShouldForget(BadFor(reason, tries)).Should().Be(forgotten);

    [Fact]
    public void Second_chances_are_off_when_the_interval_is_zero()
    {
        var schedule = CheckSchedule.From(new PeerManagementOptions { BadRetryInterval = TimeSpan.Zero });

        schedule.AfterFailure(BadFor("its height 900 is 100 blocks away from ours (1000)"), Now).Should().Be(Now + TimeSpan.FromMinutes(10));
        schedule.ShouldForget(BadFor("its height 900 is 100 blocks away from ours (1000)", 3)).Should().BeTrue();
    }
}
