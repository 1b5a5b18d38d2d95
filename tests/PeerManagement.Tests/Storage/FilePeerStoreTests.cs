using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Tests.Storage;

public sealed class FilePeerStoreTests : IDisposable
{
    private readonly TemporaryDirectory _directory = new();
    private readonly FakeTimeProvider _time = new(StoreTestData.Now);
    private readonly FakeLogger<FilePeerStore> _logger = new();

    private string StorePath => _directory.File("peers.json");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Saved_table_loads_back_with_every_field_and_status()
    {
        var peers = StoreTestData.EveryKind();
        await CreateStore().SaveAsync(peers, Ct);

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.ShouldEqual(peers);
        loaded.Select(p => p.GetStatus(_time.GetUtcNow(), StoreTestData.StaleAfter))
            .Should().Equal(PeerStatus.Good, PeerStatus.Stale, PeerStatus.Never, PeerStatus.Bad, PeerStatus.Never);
        loaded[0].LastGood!.Value.UtcTicks.Should().Be(peers[0].LastGood!.Value.UtcTicks, "the instant is kept to the tick");
        Errors().Should().BeEmpty();
    }

    [Fact]
    public async Task Table_filled_from_a_loaded_store_has_the_same_peers_and_statuses()
    {
        var before = new PeerTable(_time, StoreTestData.StaleAfter);
        foreach (var peer in StoreTestData.EveryKind())
        {
            before.TryAdd(peer);
        }

        await CreateStore().SaveAsync(before.GetRecords(), Ct);
        var after = new PeerTable(_time, StoreTestData.StaleAfter);
        foreach (var peer in await CreateStore().LoadAsync(Ct))
        {
            after.TryAdd(peer);
        }

        after.GetInfo().Should().Be(before.GetInfo());
        after.GetPeers().Select(p => (p.Peer.Host, p.Status)).Should().Equal(before.GetPeers().Select(p => (p.Peer.Host, p.Status)));
    }

    [Fact]
    public async Task Loaded_peers_share_repeated_strings_instead_of_one_copy_each()
    {
        var features = new PeerFeatures { GenesisHash = new string('0', 64), ServerVersion = "ElectrumX 1.16.0" };
        var peers = StoreTestData.Many(3).Select(p => p with { Features = features, Source = PeerSources.Peer }).ToArray();
        await CreateStore().SaveAsync(peers, Ct);

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.ShouldEqual(peers);
        ReferenceEquals(loaded[0].Features!.GenesisHash, loaded[2].Features!.GenesisHash).Should().BeTrue();
        ReferenceEquals(loaded[0].Features!.ServerVersion, loaded[1].Features!.ServerVersion).Should().BeTrue();
    }

    [Fact]
    public async Task Empty_table_round_trips()
    {
        await CreateStore().SaveAsync([], Ct);

        (await CreateStore().LoadAsync(Ct)).Should().BeEmpty();
        _directory.FileNames().Should().Equal("peers.json");
    }

    [Fact]
    public async Task Missing_file_loads_as_an_empty_table_without_error()
    {
        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.Should().BeEmpty();
        Errors().Should().BeEmpty();
        _logger.Collector.GetSnapshot().Should().Contain(r => r.Id.Id == 505);
    }

    [Fact]
    public async Task Save_keeps_the_previous_copy_as_bak_and_leaves_no_temporary_file()
    {
        var store = CreateStore();
        await store.SaveAsync(StoreTestData.Many(3, "first"), Ct);
        await store.SaveAsync(StoreTestData.Many(5, "second"), Ct);

        _directory.FileNames().Should().Equal("peers.json", "peers.json.bak");
        File.Delete(StorePath);
        var fromBackup = await CreateStore().LoadAsync(Ct);
        fromBackup.ShouldEqual(StoreTestData.Many(3, "first"));
        _logger.Collector.GetSnapshot().Should().Contain(r => r.Id.Id == 504 && r.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task Save_creates_the_missing_directory()
    {
        var path = _directory.File(Path.Combine("a", "b", "peers.json"));
        var store = new FilePeerStore(Options.Create(new PeerStoreOptions { Path = path }), _time);

        await store.SaveAsync(StoreTestData.Many(2), Ct);

        File.Exists(path).Should().BeTrue();
        (await store.LoadAsync(Ct)).Should().HaveCount(2);
    }

    [Fact]
    public async Task File_starts_with_a_header_naming_format_1_and_the_content_length()
    {
        await CreateStore().SaveAsync(StoreTestData.Many(2), Ct);

        var bytes = await File.ReadAllBytesAsync(StorePath, Ct);
        var header = Encoding.ASCII.GetString(bytes, 0, PeerStoreFormat.HeaderLength);
        header.Should().MatchRegex("^PMPEERS 1 [0-9]{19} [0-9a-f]{64}\n$");
        long.Parse(header.Split(' ')[2]).Should().Be(bytes.Length - PeerStoreFormat.HeaderLength);
        Encoding.UTF8.GetString(bytes, PeerStoreFormat.HeaderLength, bytes.Length - PeerStoreFormat.HeaderLength).Should().StartWith("{\"peers\":[{\"host\":\"peer-0.example.org\"");
    }

    [Fact]
    public async Task Empty_file_is_moved_aside_and_the_backup_is_loaded()
        => await ShouldRecoverFromBackupAsync(_ => []);

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(PeerStoreFormat.HeaderLength - 1)]
    [InlineData(PeerStoreFormat.HeaderLength)]
    [InlineData(PeerStoreFormat.HeaderLength + 1)]
    [InlineData(-2)]
    [InlineData(-1)]
    public async Task File_truncated_at_an_offset_is_moved_aside_and_the_backup_is_loaded(int offset)
        => await ShouldRecoverFromBackupAsync(good => good[..(offset >= 0 ? offset : good.Length + offset)]);

    [Fact]
    public async Task File_truncated_in_the_middle_is_moved_aside_and_the_backup_is_loaded()
        => await ShouldRecoverFromBackupAsync(good => good[..(good.Length / 2)]);

    [Fact]
    public async Task File_with_bytes_appended_is_moved_aside_and_the_backup_is_loaded()
        => await ShouldRecoverFromBackupAsync(good => [.. good, .. "\n"u8]);

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(PeerStoreFormat.HeaderLength - 5)]
    [InlineData(PeerStoreFormat.HeaderLength + 3)]
    [InlineData(-2)]
    public async Task File_with_a_flipped_byte_is_moved_aside_and_the_backup_is_loaded(int offset)
        => await ShouldRecoverFromBackupAsync(good =>
        {
            var bad = good.ToArray();
            bad[offset >= 0 ? offset : bad.Length + offset] ^= 0x01;
            return bad;
        });

    [Fact]
    public async Task File_with_a_flipped_byte_in_the_middle_of_the_content_is_moved_aside_and_the_backup_is_loaded()
        => await ShouldRecoverFromBackupAsync(good =>
        {
            var bad = good.ToArray();
            bad[PeerStoreFormat.HeaderLength + ((bad.Length - PeerStoreFormat.HeaderLength) / 2)] ^= 0x20;
            return bad;
        });

    [Theory]
    [InlineData("{\"peers\":[]}")]
    [InlineData("[{\"host\":\"peer-0.example.org\"}]")]
    [InlineData("garbage that is not json")]
    public async Task File_without_a_header_is_moved_aside_and_the_backup_is_loaded(string content)
        => await ShouldRecoverFromBackupAsync(_ => Encoding.UTF8.GetBytes(content));

    [Theory]
    [InlineData("{\"peers\":5}")]
    [InlineData("{\"peers\":{\"host\":\"peer-0.example.org\"}}")]
    [InlineData("{\"peers\":null}")]
    [InlineData("{\"hosts\":[]}")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("\"peers\"")]
    [InlineData("{\"peers\":[],\"peers\":[]}")]
    [InlineData("{\"peers\":[]} {}")]
    [InlineData("{\"peers\":[]")]
    [InlineData("{\"peers\":[{\"host\":\"peer-0.example.org\",\"tries\":}]}")]
    public async Task Valid_json_of_the_wrong_shape_is_moved_aside_and_the_backup_is_loaded(string body)
        => await ShouldRecoverFromBackupAsync(_ => WithHeader(Encoding.UTF8.GetBytes(body)));

    [Fact]
    public async Task Properties_of_a_later_version_are_ignored()
    {
        const string body = """{"written":{"by":"a later version"},"peers":[{"host":"good.example.org","source":"seed","tries":0,"rank":3}],"more":[1,2]}""";
        await File.WriteAllBytesAsync(StorePath, WithHeader(Encoding.UTF8.GetBytes(body)), Ct);

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.Should().ContainSingle().Which.Host.Value.Should().Be("good.example.org");
        Errors().Should().BeEmpty();
    }

    [Fact]
    public async Task Content_that_is_not_utf8_is_moved_aside_and_the_backup_is_loaded()
        => await ShouldRecoverFromBackupAsync(_ => WithHeader([.. "{\"peers\":[{\"host\":\""u8, 0xFF, 0xFE, .. "\"}]}"u8]));

    [Theory]
    [InlineData("2")]
    [InlineData("0")]
    [InlineData("99")]
    [InlineData("x")]
    public async Task File_of_another_format_version_is_moved_aside_and_the_backup_is_loaded(string version)
        => await ShouldRecoverFromBackupAsync(good =>
        {
            var text = Encoding.ASCII.GetBytes("PMPEERS " + version + " ");
            return [.. text, .. good.AsSpan("PMPEERS 1 ".Length)];
        });

    [Fact]
    public async Task File_bigger_than_MaxFileBytes_is_moved_aside_unread_and_the_backup_is_loaded()
        => await ShouldRecoverFromBackupAsync(good => [.. good, .. new byte[1024 * 1024]], maxFileBytes: 1024 * 1024);

    [Fact]
    public async Task Huge_file_is_not_read_with_the_default_limit()
    {
        await CreateStore().SaveAsync(StoreTestData.Many(1), Ct);
        await CreateStore().SaveAsync(StoreTestData.Many(2), Ct);
        await using (var huge = new FileStream(StorePath, FileMode.Create))
        {
            huge.SetLength(PeerStoreOptions.DefaultMaxFileBytes + 1); // sparse: costs no disk
        }

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.ShouldEqual(StoreTestData.Many(1));
        ErrorsAbout(StorePath).Should().ContainSingle().Which.Message.Should().Contain("more than MaxFileBytes");
        File.Exists(StorePath).Should().BeFalse();
    }

    [Fact]
    public async Task Damaged_file_and_damaged_backup_are_both_moved_aside_and_the_table_starts_empty()
    {
        await File.WriteAllTextAsync(StorePath, "{\"peers\":[]}", Ct);
        await File.WriteAllBytesAsync(StorePath + ".bak", [], Ct);

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.Should().BeEmpty();
        Errors().Should().HaveCount(2);
        _directory.FileNames().Should().Equal("peers.json.bak.corrupt-20261125T120000000Z", "peers.json.corrupt-20261125T120000000Z");
    }

    [Fact]
    public async Task Damaged_file_without_a_backup_is_moved_aside_and_the_table_starts_empty()
    {
        await File.WriteAllTextAsync(StorePath, "garbage", Ct);

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.Should().BeEmpty();
        Errors().Should().ContainSingle();
        _directory.FileNames().Should().Equal("peers.json.corrupt-20261125T120000000Z");
    }

    [Fact]
    public async Task Copies_of_damaged_files_moved_aside_at_the_same_moment_get_distinct_names()
    {
        await File.WriteAllTextAsync(StorePath, "first", Ct);
        await CreateStore().LoadAsync(Ct);
        await File.WriteAllTextAsync(StorePath, "second", Ct);
        await CreateStore().LoadAsync(Ct);

        _directory.FileNames().Should().Equal("peers.json.corrupt-20261125T120000000Z", "peers.json.corrupt-20261125T120000000Z-1");
    }

    [Fact]
    public async Task Entries_with_invalid_values_are_skipped_with_a_warning_and_the_rest_loaded()
    {
        const string body = """
            {"peers":[
              {"host":"good.example.org","source":"seed","tries":0},
              {"host":"not a host!","source":"seed","tries":0},
              {"host":"bad-port.example.org","tcp":70000,"source":"seed","tries":0},
              {"host":"bad-ip.example.org","ip":"300.1.2.3","source":"seed","tries":0},
              {"host":"no-source.example.org","tries":0},
              {"host":"negative.example.org","source":"seed","tries":-1},
              {"host":"bad-version.example.org","version":"one","source":"seed","tries":0},
              {"host":"bad-features.example.org","source":"seed","tries":0,"features":{"hosts":{"not a host!":{}}}},
              null,
              {"host":"also-good.example.org","source":"admin","tries":2,"future":"ignored"}
            ]}
            """;
        await File.WriteAllBytesAsync(StorePath, WithHeader(Encoding.UTF8.GetBytes(body)), Ct);

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.Select(p => p.Host.Value).Should().Equal("good.example.org", "also-good.example.org");
        _logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 506)
            .Which.Message.Should().Contain("Skipped 8 unusable entries");
        File.Exists(StorePath).Should().BeTrue();
    }

    [Fact]
    public async Task Path_that_is_a_directory_loads_as_an_empty_table_and_is_left_alone()
    {
        Directory.CreateDirectory(StorePath);

        var loaded = await CreateStore().LoadAsync(Ct);

        loaded.Should().BeEmpty();
        Directory.Exists(StorePath).Should().BeTrue();
    }

    [Fact]
    public async Task Load_throws_only_when_cancelled()
    {
        await File.WriteAllTextAsync(StorePath, "garbage", Ct);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var load = async () => await CreateStore().LoadAsync(cancelled.Token);

        await load.Should().ThrowAsync<OperationCanceledException>();
        File.Exists(StorePath).Should().BeTrue();
    }

    [Fact]
    public async Task Cancelled_save_keeps_the_previous_copy()
    {
        await CreateStore().SaveAsync(StoreTestData.Many(2), Ct);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var save = async () => await CreateStore().SaveAsync(StoreTestData.Many(5), cancelled.Token);

        await save.Should().ThrowAsync<OperationCanceledException>();
        (await CreateStore().LoadAsync(Ct)).Should().HaveCount(2);
        _directory.FileNames().Should().Equal("peers.json");
    }

    [Fact]
    public async Task Save_to_a_path_that_cannot_be_written_throws_IOException_and_keeps_nothing_half_written()
    {
        Directory.CreateDirectory(StorePath);

        var save = async () => await CreateStore().SaveAsync(StoreTestData.Many(2), Ct);

        await save.Should().ThrowAsync<IOException>();
        _directory.FileNames().Should().Equal("peers.json");
    }

    [Fact]
    public async Task Concurrent_saves_and_loads_never_interleave()
    {
        var store = CreateStore();
        var tasks = Enumerable.Range(1, 20).Select(i => i % 3 == 0
            ? store.LoadAsync(Ct).AsTask()
            : store.SaveAsync(StoreTestData.Many(i * 10, $"t{i}"), Ct).AsTask().ContinueWith(_ => (IReadOnlyList<PeerRecord>)[], Ct, TaskContinuationOptions.None, TaskScheduler.Default));

        var results = await Task.WhenAll(tasks);

        Errors().Should().BeEmpty();
        results.Should().OnlyContain(r => r.Count == 0 || r.Select(p => p.Source).Distinct().Count() == 1);
        var last = await store.LoadAsync(Ct);
        last.Select(p => p.Source).Distinct().Should().ContainSingle();
        last.Should().HaveCount(int.Parse(last[0].Source[1..]) * 10);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("/tmp/")]
    public void Store_without_a_usable_path_cannot_be_created(string path)
    {
        var create = () => new FilePeerStore(Options.Create(new PeerStoreOptions { Path = path }), _time);

        create.Should().Throw<ArgumentException>().WithMessage("*PeerStoreOptions.Path*");
    }

    private async Task ShouldRecoverFromBackupAsync(Func<byte[], byte[]> damage, long maxFileBytes = PeerStoreOptions.DefaultMaxFileBytes)
    {
        var previous = StoreTestData.Many(3, "previous");
        var current = StoreTestData.Many(4, "current");
        var store = CreateStore(maxFileBytes);
        await store.SaveAsync(previous, Ct);
        await store.SaveAsync(current, Ct);
        var damaged = damage(await File.ReadAllBytesAsync(StorePath, Ct));
        await File.WriteAllBytesAsync(StorePath, damaged, Ct);

        var loaded = await CreateStore(maxFileBytes).LoadAsync(Ct);

        loaded.ShouldEqual(previous);
        var error = ErrorsAbout(StorePath).Should().ContainSingle().Subject;
        error.Id.Id.Should().Be(500);
        var aside = _directory.File("peers.json.corrupt-20261125T120000000Z");
        File.Exists(StorePath).Should().BeFalse("the damaged file is moved aside");
        (await File.ReadAllBytesAsync(aside, Ct)).Should().Equal(damaged);
        _directory.FileNames().Should().Equal("peers.json.bak", "peers.json.corrupt-20261125T120000000Z");

        // The next save starts a new file and the node goes on.
        await store.SaveAsync(current, Ct);
        (await CreateStore(maxFileBytes).LoadAsync(Ct)).ShouldEqual(current);
    }

    private static byte[] WithHeader(byte[] body) => StoreTestData.WithHeader(body);

    private FilePeerStore CreateStore(long maxFileBytes = PeerStoreOptions.DefaultMaxFileBytes)
        => new(Options.Create(new PeerStoreOptions { Path = StorePath, MaxFileBytes = maxFileBytes }), _time, _logger);

    private IReadOnlyList<FakeLogRecord> Errors()
        => _logger.Collector.GetSnapshot().Where(r => r.Level >= LogLevel.Error).ToArray();

    private IReadOnlyList<FakeLogRecord> ErrorsAbout(string path)
        => Errors().Where(r => r.Message.Contains(path + " ", StringComparison.Ordinal)).ToArray();
}
