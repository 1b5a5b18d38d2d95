using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Tests.Storage;

public class FileBanStoreTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Bans_saved_are_loaded_back()
    {
        using var directory = new TemporaryDirectory();
        var store = new FileBanStore(directory.File("peers.json.bans"), new FakeTimeProvider(Now));
        PeerBan[] bans =
        [
            new("*.example.org", Now.AddHours(1), "sybils", Now, Configured: false),
            new("203.0.113.0/24", null, null, Now, Configured: false),
        ];

        await store.SaveAsync(bans, Token);

        (await new FileBanStore(directory.File("peers.json.bans"), new FakeTimeProvider(Now)).LoadAsync(Token)).Should().Equal(bans);
        directory.FileNames().Should().Equal("peers.json.bans");
    }

    [Fact]
    public async Task A_missing_file_loads_as_no_bans()
    {
        using var directory = new TemporaryDirectory();

        (await new FileBanStore(directory.File("peers.json.bans"), new FakeTimeProvider(Now)).LoadAsync(Token)).Should().BeEmpty();
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"version\": 1, \"bans\": [")]
    [InlineData("{\"version\": 99, \"bans\": []}")]
    [InlineData("[1, 2, 3]")]
    public async Task A_damaged_file_is_moved_aside_and_loads_as_no_bans(string content)
    {
        using var directory = new TemporaryDirectory();
        await File.WriteAllTextAsync(directory.File("peers.json.bans"), content, Token);

        (await new FileBanStore(directory.File("peers.json.bans"), new FakeTimeProvider(Now)).LoadAsync(Token)).Should().BeEmpty();

        directory.FileNames().Should().Equal("peers.json.bans.corrupt-20261125T120000000Z");
    }

    [Fact]
    public async Task An_entry_that_is_not_a_valid_match_is_dropped_alone()
    {
        using var directory = new TemporaryDirectory();
        await File.WriteAllTextAsync(
            directory.File("peers.json.bans"),
            """{"version": 1, "bans": [{"match": "0x7f.1"}, null, {"match": "A.Example.org", "reason": "spam"}]}""",
            Token);

        var bans = await new FileBanStore(directory.File("peers.json.bans"), new FakeTimeProvider(Now)).LoadAsync(Token);

        bans.Should().ContainSingle().Which.Should().Be(new PeerBan("a.example.org", null, "spam", null, Configured: false));
    }
}
