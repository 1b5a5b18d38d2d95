using System.Net;
using System.Text;

namespace PeerManagement.Tests.Discovery;

public class BlacklistTests
{
    private static readonly DateTimeOffset Now = DiscoveryHarness.Start;

    private static bool Contains(BlacklistSet set, string host, string? address = null, DateTimeOffset? at = null)
        => set.Contains(PeerHost.Parse(host), address is null ? null : IPAddress.Parse(address), at ?? Now);

    [Fact]
    public void An_exact_host_is_blacklisted_and_only_it()
    {
        var set = BlacklistSet.Parse(["Bad.Example.org"]);

        Contains(set, "bad.example.org").Should().BeTrue();
        Contains(set, "sub.bad.example.org").Should().BeFalse();
        Contains(set, "example.org").Should().BeFalse();
    }

    [Fact]
    public void A_wildcard_covers_the_domain_and_every_name_below_it()
    {
        var set = BlacklistSet.Parse(["*.sybil.net"]);

        Contains(set, "a.sybil.net").Should().BeTrue();
        Contains(set, "deep.a.sybil.net").Should().BeTrue();
        Contains(set, "sybil.net").Should().BeTrue();
        Contains(set, "notsybil.net").Should().BeFalse();
    }

    [Fact]
    public void An_address_is_matched_as_the_host_or_as_the_address_connected_to()
    {
        var set = BlacklistSet.Parse(["44.1.2.3", "2a01:4f8::1"]);

        Contains(set, "44.1.2.3").Should().BeTrue();
        Contains(set, "name.example.org", "44.1.2.3").Should().BeTrue();
        Contains(set, "name.example.org", "::ffff:44.1.2.3").Should().BeTrue();
        Contains(set, "2a01:4f8:0::1").Should().BeTrue();
        Contains(set, "name.example.org", "44.1.2.4").Should().BeFalse();
    }

    [Fact]
    public void Cidr_ranges_cover_every_address_inside()
    {
        var set = BlacklistSet.Parse(["44.10.0.0/16", "2a01:4f8::/32"]);

        Contains(set, "44.10.200.7").Should().BeTrue();
        Contains(set, "x.example.org", "44.10.0.1").Should().BeTrue();
        Contains(set, "44.11.0.1").Should().BeFalse();
        Contains(set, "2a01:4f8:ffff::1").Should().BeTrue();
        Contains(set, "2a01:4f9::1").Should().BeFalse();
    }

    [Fact]
    public void An_expiry_lifts_the_entry()
    {
        var set = BlacklistSet.Parse(["bad.example.org until 2026-11-25T13:00:00Z", "44.10.0.0/16 until 2026-11-25T13:00:00Z"]);

        Contains(set, "bad.example.org").Should().BeTrue();
        Contains(set, "44.10.0.1").Should().BeTrue();
        Contains(set, "bad.example.org", at: Now + TimeSpan.FromHours(1)).Should().BeFalse();
        Contains(set, "44.10.0.1", at: Now + TimeSpan.FromHours(1)).Should().BeFalse();
    }

    [Fact]
    public void Addresses_in_disguise_are_unreadable_entries_not_other_addresses()
    {
        var set = BlacklistSet.Parse(["010.8.8.8", "0x7f.0.0.1", "2130706433", "010.8.8.0/24", "8.8.4.4"]);

        set.Skipped.Should().Be(4);
        Contains(set, "8.8.8.8").Should().BeFalse("'010.8.8.8' must not be read as octal 8.8.8.8");
        Contains(set, "a.example.org", address: "8.8.8.9").Should().BeFalse();
        Contains(set, "8.8.4.4").Should().BeTrue();
    }

    [Fact]
    public void Unreadable_entries_are_skipped_and_counted()
    {
        var set = BlacklistSet.Parse(["", "bad_host!", "44.1.0.0/99", "x.example.org until someday", "ok.example.org"]);

        set.Count.Should().Be(1);
        set.Skipped.Should().Be(4);
    }

    [Fact]
    public async Task A_blacklisted_peer_is_marked_bad_when_checked()
    {
        await using var h = new DiscoveryHarness();
        h.BlacklistSources.Add(new StaticBlacklistSource(["*.example.org"]));
        await h.Manager.Blacklist.RefreshAsync(DiscoveryHarness.Token);
        h.AddKnownPeer("a.example.org");

        (await h.CheckAsync("a.example.org")).Outcome.Should().Be(PeerCheckOutcome.Bad);
        h.Record("a.example.org")!.BadReason.Should().Be("blacklisted");
        h.Network.Attempts.Should().BeEmpty("a peer known to be blacklisted is not connected to");
    }

    [Fact]
    public async Task A_peer_blacklisted_by_the_address_it_was_reached_at_is_bad()
    {
        await using var h = new DiscoveryHarness();
        h.BlacklistSources.Add(new StaticBlacklistSource(["44.12.0.0/16"]));
        await h.Manager.Blacklist.RefreshAsync(DiscoveryHarness.Token);
        h.AddKnownPeer("a.example.org", p => p.At("44.12.1.1"));

        (await h.CheckAsync("a.example.org")).Outcome.Should().Be(PeerCheckOutcome.Bad);
    }

    [Fact]
    public async Task After_the_expiry_a_blacklisted_peer_can_be_good_again()
    {
        await using var h = new DiscoveryHarness();
        h.BlacklistSources.Add(new StaticBlacklistSource(["a.example.org until 2026-11-25T12:30:00Z"]));
        await h.Manager.Blacklist.RefreshAsync(DiscoveryHarness.Token);
        h.AddKnownPeer("a.example.org");
        (await h.CheckAsync("a.example.org")).Outcome.Should().Be(PeerCheckOutcome.Bad);

        h.Time.Advance(TimeSpan.FromMinutes(30));

        (await h.CheckAsync("a.example.org")).Outcome.Should().Be(PeerCheckOutcome.Good);
        h.Record("a.example.org")!.IsBad.Should().BeFalse();
    }

    [Fact]
    public async Task A_refresh_wakes_every_newly_blacklisted_peer_and_its_check_marks_it_bad()
    {
        var source = new MutableSource();
        await using var h = new DiscoveryHarness(o => o.SeedPeers.Add("a.example.org s t"));
        h.BlacklistSources.Add(source);
        h.AddPeer("a.example.org");
        await h.Manager.StartAsync(DiscoveryHarness.Token);
        await DiscoveryHarness.WaitUntilAsync(() => h.Status("a.example.org") == PeerStatus.Good && h.Due("a.example.org") is not null);

        source.Entries = ["a.example.org"];
        h.Time.Advance(h.Options.BlacklistRefreshInterval);

        await DiscoveryHarness.WaitUntilAsync(() => h.Status("a.example.org") == PeerStatus.Bad);
        h.Record("a.example.org")!.BadReason.Should().Be("blacklisted");
        h.LogsWithId(402).Should().ContainSingle();
    }

    [Fact]
    public async Task A_failed_refresh_keeps_the_old_list_and_logs_an_error()
    {
        var source = new MutableSource { Entries = ["bad.example.org"] };
        await using var h = new DiscoveryHarness();
        h.BlacklistSources.Add(source);
        await h.Manager.Blacklist.RefreshAsync(DiscoveryHarness.Token);

        source.Fail = true;
        await h.Manager.Blacklist.RefreshAsync(DiscoveryHarness.Token);

        h.Manager.Blacklist.IsBlacklisted(PeerHost.Parse("bad.example.org"), null, h.Now).Should().BeTrue();
        var error = h.LogsWithId(401).Should().ContainSingle().Subject;
        error.Level.Should().Be(Microsoft.Extensions.Logging.LogLevel.Error);
        h.LogsWithId(400).Should().HaveCount(2);
    }

    [Fact]
    public async Task A_file_source_reads_a_json_array_or_lines()
    {
        var json = Path.GetTempFileName();
        var lines = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(json, """["a.example.org", 5, "44.1.0.0/16"]""", DiscoveryHarness.Token);
            await File.WriteAllTextAsync(lines, "# banned\n*.sybil.net\n\n44.2.2.2\r\n", DiscoveryHarness.Token);

            (await new FileBlacklistSource(json).GetEntriesAsync(DiscoveryHarness.Token)).Should().Equal("a.example.org", "44.1.0.0/16");
            (await new FileBlacklistSource(lines).GetEntriesAsync(DiscoveryHarness.Token)).Should().Equal("*.sybil.net", "44.2.2.2");
        }
        finally
        {
            File.Delete(json);
            File.Delete(lines);
        }
    }

    [Fact]
    public async Task A_missing_or_corrupt_file_is_a_source_error()
    {
        var corrupt = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(corrupt, "[\"a.example.org\", ", DiscoveryHarness.Token);
            var missing = async () => await new FileBlacklistSource("/nonexistent/blacklist.json").GetEntriesAsync(DiscoveryHarness.Token);
            var broken = async () => await new FileBlacklistSource(corrupt).GetEntriesAsync(DiscoveryHarness.Token);

            await missing.Should().ThrowAsync<PeerManagementException>();
            await broken.Should().ThrowAsync<PeerManagementException>();
        }
        finally
        {
            File.Delete(corrupt);
        }
    }

    [Fact]
    public async Task A_url_source_fetches_a_json_array_and_reports_failures()
    {
        var handler = new StubHandler();
        using var client = new HttpClient(handler);
        var source = new UrlBlacklistSource(client, new Uri("https://lists.example.org/blacklist.json"));

        handler.Respond = () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""["a.example.org", "*.b.example.org"]""", Encoding.UTF8, "application/json") };
        (await source.GetEntriesAsync(DiscoveryHarness.Token)).Should().Equal("a.example.org", "*.b.example.org");

        handler.Respond = () => new HttpResponseMessage(HttpStatusCode.InternalServerError);
        var serverError = async () => await source.GetEntriesAsync(DiscoveryHarness.Token);
        await serverError.Should().ThrowAsync<PeerManagementException>();

        handler.Respond = () => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"not": "an array"}""") };
        var notArray = async () => await source.GetEntriesAsync(DiscoveryHarness.Token);
        await notArray.Should().ThrowAsync<PeerManagementException>();

        handler.Respond = () => throw new HttpRequestException("connection refused");
        var refused = async () => await source.GetEntriesAsync(DiscoveryHarness.Token);
        await refused.Should().ThrowAsync<PeerManagementException>();
    }

    [Fact]
    public void A_url_source_needs_an_absolute_http_url()
    {
        using var client = new HttpClient();

        var relative = () => new UrlBlacklistSource(client, new Uri("/list", UriKind.Relative));
        var ftp = () => new UrlBlacklistSource(client, new Uri("ftp://lists.example.org/list"));

        relative.Should().Throw<ArgumentException>().Which.ParamName.Should().Be("url");
        ftp.Should().Throw<ArgumentException>();
    }

    private sealed class MutableSource : IBlacklistSource
    {
        public IReadOnlyList<string> Entries { get; set; } = [];

        public bool Fail { get; set; }

        public ValueTask<IReadOnlyList<string>> GetEntriesAsync(CancellationToken cancellationToken)
            => Fail ? throw new PeerManagementException("unreachable") : ValueTask.FromResult(Entries);
    }

    private sealed class StubHandler : HttpMessageHandler
    {
        public Func<HttpResponseMessage> Respond { get; set; } = () => new HttpResponseMessage(HttpStatusCode.NotFound);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(Respond());
    }
}
