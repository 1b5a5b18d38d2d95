using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement.Tests.Rpc;

/// <summary>How long the parameters a handler gets live, and the one timer that keeps every request's deadline.</summary>
public partial class JsonRpcSessionTests
{
    [Fact]
    public async Task Parameters_kept_beyond_the_call_throw_instead_of_showing_another_message()
    {
        JsonElement kept = default;
        var handler = new DelegateHandler(call =>
        {
            if (call.Method == "keep")
            {
                kept = call.Parameters;
                return null;
            }

            try
            {
                return kept[0].GetString();
            }
            catch (ObjectDisposedException)
            {
                return "disposed";
            }
        });
        var (client, server) = _kit.CreatePair(handler);
        await using (client)
        await using (server)
        {
            // A notification is handled, and its line given back, before the next line is read.
            await client.NotifyAsync("keep", ["secret"], Token);

            (await client.InvokeAsync("read", ["other"], Token).WaitAsync(Bound, Token)).GetString().Should().Be("disposed");
        }
    }

    [Fact]
    public async Task Parameters_stay_valid_across_the_handlers_awaits()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler(async (call, ct) =>
        {
            if (call.Method == "slow")
            {
                await release.Task.WaitAsync(ct);
            }

            return (JsonNode?)call.Parameters[0].GetString();
        });
        var (client, server) = _kit.CreatePair(handler);
        await using (client)
        await using (server)
        {
            var slow = client.InvokeAsync("slow", ["first"], Token);
            (await client.InvokeAsync("fast", ["second"], Token).WaitAsync(Bound, Token)).GetString().Should().Be("second");
            release.SetResult();

            (await slow.WaitAsync(Bound, Token)).GetString().Should().Be("first");
        }
    }

    [Fact]
    public async Task Each_request_times_out_at_its_own_deadline_with_one_timer_for_the_session()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var timers = _kit.Time.TimersCreated;
            var first = session.InvokeAsync("first", [], Token);
            _kit.Time.Advance(TimeSpan.FromSeconds(10));
            var later = Enumerable.Range(0, 100).Select(i => session.InvokeAsync("later", [i], Token)).ToList();

            _kit.Time.TimersCreated.Should().Be(timers + 1, "the session arms one timer for all its requests");
            _kit.Time.Advance(_kit.Options.RequestTimeout - TimeSpan.FromSeconds(10));
            await FluentActions.Awaiting(() => first.WaitAsync(Bound, Token)).Should().ThrowAsync<TimeoutException>().WithMessage("*first*");
            later.Should().OnlyContain(t => !t.IsCompleted);

            _kit.Time.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
            later.Should().OnlyContain(t => !t.IsCompleted, "their deadline is one tick away");
            _kit.Time.Advance(TimeSpan.FromTicks(1));

            foreach (var call in later)
            {
                await FluentActions.Awaiting(() => call.WaitAsync(Bound, Token)).Should().ThrowAsync<TimeoutException>();
            }

            ((JsonRpcSession)session).PendingCount.Should().Be(0);
        }
    }
}
