using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Tests.Storage;

/// <summary>
/// Files with an intact header and checksum whose entries hold hostile values: the store keeps what is good,
/// drops or clears the rest entry by entry, and never throws or quarantines the file.
/// </summary>
public sealed class FilePeerStoreHostileEntryTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(StoreTestData.Now);
    private readonly FakeLogger<FilePeerStore> _logger = new();

    private string StorePath => _directory.File("peers.json");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Times_past_the_clock_or_out_of_range_are_cleared_and_their_entries_kept()
    {
        // Now is 2026-11-25T12:00:00Z; up to 5 minutes past it is clock skew.
        const string body = """
            {"peers":[
              {"host":"good.example.org","source":"seed","lastGood":"2026-11-25T11:00:00+00:00","lastTry":"2026-11-25T12:04:00+00:00","tries":0},
              {"host":"end-of-time.example.org","source":"seed","lastGood":"9999-12-31T23:59:59.9999999+00:00","lastTry":"9999-12-30T00:00:00Z","tries":2},
              {"host":"past-year-9999.example.org","source":"seed","lastGood":"9999-12-31T23:00:00-14:00","tries":0},
              {"host":"skewed.example.org","source":"seed","lastGood":"2026-11-25T11:00:00Z","lastTry":"2026-11-25T12:06:00Z","tries":1},
              {"host":"ancient.example.org","source":"seed","lastGood":"0001-01-01T00:00:00+00:00","lastTry":"1969-12-31T23:59:59Z","tries":0},
              {"host":"garbled.example.org","source":"seed","lastGood":"yesterday","tries":0}
            ]}
            """;
        await WriteAsync(body);

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.Select(p => (p.Host.Value, p.LastGood, p.LastTry, p.TryCount)).Should().Equal(
            ("good.example.org", StoreTestData.Now.AddHours(-1), StoreTestData.Now.AddMinutes(4), 0),
            ("end-of-time.example.org", null, null, 2),
            ("past-year-9999.example.org", null, null, 0),
            ("skewed.example.org", StoreTestData.Now.AddHours(-1), null, 1),
            ("ancient.example.org", null, null, 0),
            ("garbled.example.org", null, null, 0));
        Lines(521).Select(r => (r.StructuredState!.Single(s => s.Key == "Host").Value, r.StructuredState!.Single(s => s.Key == "Field").Value))
            .Should().Equal(
                ("end-of-time.example.org", "lastGood"),
                ("end-of-time.example.org", "lastTry"),
                ("past-year-9999.example.org", "lastGood"),
                ("skewed.example.org", "lastTry"),
                ("ancient.example.org", "lastGood"),
                ("ancient.example.org", "lastTry"),
                ("garbled.example.org", "lastGood"));
        Lines(522).Should().ContainSingle().Which.Message.Should().Contain("Cleared 7 values");
        ShouldBeKeptWithoutErrors();
    }

    [Fact]
    public async Task Absurd_counts_ports_and_numbers_drop_or_clear_only_their_own_entry()
    {
        const string body = """
            {"peers":[
              {"host":"good.example.org","source":"seed","tries":1000,"pruning":10000},
              {"host":"negative-tries.example.org","source":"seed","tries":-1},
              {"host":"absurd-tries.example.org","source":"seed","tries":2147483647},
              {"host":"overflowing-tries.example.org","source":"seed","tries":1e30},
              {"host":"fraction-tries.example.org","source":"seed","tries":1.5},
              {"host":"port-too-big.example.org","source":"seed","tcp":65536,"tries":0},
              {"host":"port-negative.example.org","source":"seed","ssl":-1,"tries":0},
              {"host":"port-overflowing.example.org","source":"seed","tcp":99999999999999999999,"tries":0},
              {"host":"features-port.example.org","source":"seed","tries":0,"features":{"hosts":{"features-port.example.org":{"tcp":0}}}},
              {"host":"negative-pruning.example.org","source":"seed","tries":0,"pruning":-5,"features":{"pruning":0}},
              {"host":"also-good.example.org","source":"seed","tries":0}
            ]}
            """;
        await WriteAsync(body);

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.Select(p => p.Host.Value).Should().Equal("good.example.org", "negative-pruning.example.org", "also-good.example.org");
        loaded[0].TryCount.Should().Be(1000);
        loaded[1].Pruning.Should().BeNull();
        loaded[1].Features!.Pruning.Should().BeNull();
        Lines(520).Should().HaveCount(8);
        Lines(521).Should().HaveCount(2);
        Lines(506).Should().ContainSingle().Which.Message.Should().Contain("Skipped 8 unusable entries");
        ShouldBeKeptWithoutErrors();
    }

    [Fact]
    public async Task Wrongly_typed_entries_are_dropped_alone_and_the_good_ones_loaded()
    {
        const string body = """
            {"peers":[
              {"host":"good.example.org","source":"seed","tries":0},
              {"host":5,"source":"seed","tries":0},
              {"host":"tries-text.example.org","source":"seed","tries":"x"},
              1,
              "electrum.example.org",
              [],
              true,
              {"host":"ports-text.example.org","source":"seed","tcp":"50001","tries":0},
              {"host":"time-number.example.org","source":"seed","lastGood":12345,"tries":0},
              {"host":"features-list.example.org","source":"seed","tries":0,"features":[1]},
              {"host":"hosts-text.example.org","source":"seed","tries":0,"features":{"hosts":"many"}},
              {"host":"source-object.example.org","source":{"a":1},"tries":0},
              {"host":"also-good.example.org","source":"admin","tries":2}
            ]}
            """;
        await WriteAsync(body);

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.Select(p => p.Host.Value).Should().Equal("good.example.org", "also-good.example.org");
        var dropped = Lines(520);
        dropped.Select(r => r.StructuredState!.Single(s => s.Key == "Index").Value).Should().Equal("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11");
        dropped.Select(r => r.StructuredState!.Single(s => s.Key == "Host").Value).Should().Equal(
            "no readable host", "tries-text.example.org", "no readable host", "no readable host", "no readable host", "no readable host",
            "ports-text.example.org", "time-number.example.org", "features-list.example.org", "hosts-text.example.org", "source-object.example.org");
        dropped[1].Message.Should().Contain("$.tries");
        dropped[3].Message.Should().Contain("it is a JSON string, not an object");
        dropped.Should().OnlyContain(r => r.Level == LogLevel.Warning && r.Exception == null);
        Lines(506).Should().ContainSingle().Which.Message.Should().Contain("Skipped 11 unusable entries");
        ShouldBeKeptWithoutErrors();
    }

    [Fact]
    public async Task Bad_entries_are_logged_one_by_one_only_up_to_a_bound()
    {
        var entries = Enumerable.Range(0, 150).Select(i => $"{{\"host\":\"bad-{i}.example.org\",\"tries\":\"x\"}}")
            .Append("{\"host\":\"good.example.org\",\"source\":\"seed\",\"tries\":0}");
        await WriteAsync("{\"peers\":[" + string.Join(",", entries) + "]}");

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.Should().ContainSingle().Which.Host.Value.Should().Be("good.example.org");
        Lines(520).Should().HaveCount(100);
        Lines(523).Should().ContainSingle().Which.Message.Should().StartWith("50 more");
        Lines(506).Should().ContainSingle().Which.Message.Should().Contain("Skipped 150 unusable entries");
    }

    [Theory]
    [InlineData("{\"peers\":[{\"host\":\"a.example.org\",\"source\":\"seed\",\"tries\":1,}]}")]
    [InlineData("{\"peers\":[{\"host\":\"a.example.org\" \"source\":\"seed\"}]}")]
    [InlineData("{\"peers\":[{\"host\":\"a.example.org\",\"tries\":\"x\"},{\"host\":}]}")]
    [InlineData("{\"peers\":[{\"host\":\"a.example.org\",\"tries\":\"x\",]}")]
    public async Task An_entry_that_is_not_well_formed_json_still_quarantines_the_file(string body)
    {
        await WriteAsync(body);

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.Should().BeEmpty();
        _logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 500);
        File.Exists(StorePath).Should().BeFalse("the damaged file is moved aside");
    }

    [Fact]
    public async Task Random_hostile_values_in_a_valid_file_never_make_the_load_throw_or_give_up()
    {
        await CreateStore().SaveAsync(StoreTestData.EveryKind(), Ct);
        var saved = await File.ReadAllBytesAsync(StorePath, Ct);
        var template = JsonNode.Parse(saved.AsSpan(PeerStoreFormat.HeaderLength))!;
        JsonNode?[] hostile =
        [
            null, -1, 0, 65536, int.MaxValue, long.MinValue, 1e300, 0.5, true, "", "x", new string('a', 300), "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00+01:00", "2026-11-25T12:00:00Z", "::1", "1.4", new JsonArray(1, "a"), new JsonObject { ["a"] = 1 },
        ];
        var random = new Random(20261125);

        for (var round = 0; round < 200; round++)
        {
            var document = template.DeepClone();
            var peers = document["peers"]!.AsArray();
            for (var change = 0; change < 3; change++)
            {
                var entry = peers[random.Next(peers.Count)]!.AsObject();
                var names = entry.Select(p => p.Key).Concat(["tcp", "ssl", "lastGood", "lastTry", "tries", "pruning", "features"]).Distinct().ToArray();
                entry[names[random.Next(names.Length)]] = hostile[random.Next(hostile.Length)]?.DeepClone();
            }

            await WriteAsync(document.ToJsonString());
            var load = async () => await CreateStore().LoadAsync(Ct);

            (await load.Should().NotThrowAsync()).Subject.Should().HaveCountGreaterThanOrEqualTo(2, "at most 3 of 5 entries were changed");
            _logger.Collector.GetSnapshot().Should().NotContain(r => r.Level >= LogLevel.Error, document.ToJsonString());
            File.Exists(StorePath).Should().BeTrue();
        }
    }

    private async Task WriteAsync(string body)
        => await File.WriteAllBytesAsync(StorePath, StoreTestData.WithHeader(Encoding.UTF8.GetBytes(body)), Ct);

    private FilePeerStore CreateStore()
        => new(Options.Create(new PeerStoreOptions { Path = StorePath }), _time, _logger);

    private IReadOnlyList<FakeLogRecord> Lines(int eventId)
        => _logger.Collector.GetSnapshot().Where(r => r.Id.Id == eventId).ToArray();

    private void ShouldBeKeptWithoutErrors()
    {
        _logger.Collector.GetSnapshot().Should().NotContain(r => r.Level >= LogLevel.Error);
        _directory.FileNames().Should().Equal("peers.json");
    }
}
