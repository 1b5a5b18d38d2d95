using System.Text.Json;
using System.Text.Json.Nodes;

namespace PeerManagement.Tests.Rpc;

public partial class JsonRpcSessionTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly JsonRpcTestKit _kit = new();

    private static CancellationToken Token => JsonRpcTestKit.Token;

    [Fact]
    public async Task A_request_gets_the_result_of_the_remote_handler()
    {
        var (client, server) = _kit.CreatePair(DelegateHandler.Echo());
        await using (client)
        await using (server)
        {
            var sum = await client.InvokeAsync("add", [2, 3], Token).WaitAsync(Bound, Token);

            sum.GetInt32().Should().Be(5);
        }
    }

    [Fact]
    public async Task Requests_go_both_ways_on_one_session()
    {
        var (client, server) = _kit.CreatePair(DelegateHandler.Echo(), DelegateHandler.Echo());
        await using (client)
        await using (server)
        {
            (await client.InvokeAsync("add", [1, 1], Token).WaitAsync(Bound, Token)).GetInt32().Should().Be(2);
            (await server.InvokeAsync("add", [2, 2], Token).WaitAsync(Bound, Token)).GetInt32().Should().Be(4);
        }
    }

    [Fact]
    public async Task A_batch_is_sent_as_one_line_and_each_caller_gets_its_own_result()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var tasks = session.InvokeBatchAsync(
                [new JsonRpcRequest("server.version", ["c", "1.4"]), new JsonRpcRequest("server.features", [])],
                Token);

            var batch = (await peer.ReadMessageAsync()).AsArray();
            batch.Should().HaveCount(2);
            batch[0]!["method"]!.GetValue<string>().Should().Be("server.version");
            batch[0]!["params"]!.ToJsonString().Should().Be("""["c","1.4"]""");
            var id0 = batch[0]!["id"]!.GetValue<long>();
            var id1 = batch[1]!["id"]!.GetValue<long>();
            await peer.SendAsync($$$"""[{"jsonrpc":"2.0","id":{{{id1}}},"result":{"a":1}},{"jsonrpc":"2.0","id":{{{id0}}},"result":["s","1.4"]}]""" + "\n");

            (await tasks[0].WaitAsync(Bound, Token)).GetArrayLength().Should().Be(2);
            (await tasks[1].WaitAsync(Bound, Token)).GetProperty("a").GetInt32().Should().Be(1);
        }
    }

    [Fact]
    public async Task An_incoming_batch_is_answered_with_an_array_of_the_answers_to_its_requests()
    {
        var (session, peer) = _kit.CreateWithRawPeer(DelegateHandler.Echo());
        await using (session)
        await using (peer)
        {
            await peer.SendAsync("""[{"jsonrpc":"2.0","id":1,"method":"add","params":[1,2]},{"jsonrpc":"2.0","method":"add","params":[0,0]},{"jsonrpc":"2.0","id":"x","method":"nope"},5]""" + "\n");

            var answer = (await peer.ReadMessageAsync()).AsArray();

            answer.Select(a => a!["id"]?.ToJsonString() ?? "null").Should().BeEquivalentTo(["null", "1", "\"x\""]);
            answer.Single(a => a!["id"]?.ToJsonString() == "1")!["result"]!.GetValue<int>().Should().Be(3);
            answer.Single(a => a!["id"]?.ToJsonString() == "\"x\"")!["error"]!["code"]!.GetValue<int>().Should().Be(JsonRpcErrorCodes.MethodNotFound);
            answer.Single(a => a!["id"] is null)!["error"]!["code"]!.GetValue<int>().Should().Be(JsonRpcErrorCodes.InvalidRequest);
        }
    }

    [Fact]
    public async Task A_batch_of_notifications_gets_no_answer()
    {
        var seen = new List<string>();
        var handler = new DelegateHandler(call =>
        {
            lock (seen)
            {
                seen.Add(call.Method);
            }

            return null;
        });
        var (session, peer) = _kit.CreateWithRawPeer(handler);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync("""[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]""" + "\n");
            await peer.SendAsync("""{"jsonrpc":"2.0","id":7,"method":"c"}""" + "\n");

            var answer = await peer.ReadMessageAsync();

            answer["id"]!.GetValue<int>().Should().Be(7);
            seen.Should().Equal("a", "b", "c");
        }
    }

    [Fact]
    public async Task Notifications_flow_in_both_directions_and_get_no_answer()
    {
        var toServer = new TaskCompletionSource<JsonRpcCall>(TaskCreationOptions.RunContinuationsAsynchronously);
        var toClient = new TaskCompletionSource<JsonRpcCall>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (client, server) = _kit.CreatePair(
            // The parameters live as long as the call: what is kept beyond it is a copy.
            new DelegateHandler(call => { toServer.TrySetResult(call with { Parameters = call.Parameters.Clone() }); return null; }),
            new DelegateHandler(call => { toClient.TrySetResult(call with { Parameters = call.Parameters.Clone() }); return null; }));
        await using (client)
        await using (server)
        {
            await client.NotifyAsync("blockchain.headers.subscribe", [JsonNode.Parse("""{"height":5}""")], Token);
            await server.NotifyAsync("server.banner", ["hi"], Token);

            var a = await toServer.Task.WaitAsync(Bound, Token);
            var b = await toClient.Task.WaitAsync(Bound, Token);
            a.IsNotification.Should().BeTrue();
            a.Parameters[0].GetProperty("height").GetInt32().Should().Be(5);
            b.Method.Should().Be("server.banner");
            b.Parameters[0].GetString().Should().Be("hi");
        }
    }

    [Fact]
    public async Task A_request_can_parse_its_result_in_place()
    {
        var (client, server) = _kit.CreatePair(DelegateHandler.Echo());
        await using (client)
        await using (server)
        {
            var names = await client.InvokeAsync("echo", ["a", "b", "c"], r => r.EnumerateArray().Select(e => e.GetString()!).ToList(), Token).WaitAsync(Bound, Token);

            names.Should().Equal("a", "b", "c");
        }
    }

    [Fact]
    public async Task A_large_answer_is_parsed_in_place_too()
    {
        var (client, server) = _kit.CreatePair(DelegateHandler.Echo());
        await using (client)
        await using (server)
        {
            var big = new string('p', 300_000);

            var length = await client.InvokeAsync("echo", [big, 7], r => r[0].GetString()!.Length + r[1].GetInt32(), Token).WaitAsync(Bound, Token);

            length.Should().Be(300_007);
        }
    }

    [Fact]
    public async Task What_the_result_parser_throws_is_what_the_caller_gets_and_the_session_goes_on()
    {
        var (client, server) = _kit.CreatePair(DelegateHandler.Echo());
        await using (client)
        await using (server)
        {
            var act = () => client.InvokeAsync<int>("echo", ["x"], _ => throw new FormatException("not a height"), Token).WaitAsync(Bound, Token);

            await act.Should().ThrowAsync<FormatException>().WithMessage("not a height");
            (await client.InvokeAsync("add", [1, 2], Token).WaitAsync(Bound, Token)).GetInt32().Should().Be(3);
        }
    }

    [Fact]
    public async Task A_parsing_request_fails_like_any_other_on_an_error_answer_or_a_timeout()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var failing = session.InvokeAsync("x", [], r => r.GetInt32(), Token);
            var request = await peer.ReadMessageAsync();
            await peer.SendAsync($$$"""{"jsonrpc":"2.0","id":{{{request["id"]}}},"error":{"code":-1,"message":"no"}}""" + "\n");
            await FluentActions.Awaiting(() => failing.WaitAsync(Bound, Token)).Should().ThrowAsync<JsonRpcException>();

            var silent = session.InvokeAsync("y", [], r => r.GetInt32(), Token);
            await peer.ReadMessageAsync();
            _kit.Time.Advance(_kit.Options.RequestTimeout);
            await FluentActions.Awaiting(() => silent.WaitAsync(Bound, Token)).Should().ThrowAsync<TimeoutException>();
        }
    }

    [Fact]
    public async Task Concurrent_requests_answered_out_of_order_reach_their_own_callers()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var calls = Enumerable.Range(0, 20).Select(i => session.InvokeAsync("echo", [i], Token)).ToList();
            var requests = new List<JsonNode>();
            for (var i = 0; i < calls.Count; i++)
            {
                requests.Add(await peer.ReadMessageAsync());
            }

            requests.Reverse();
            foreach (var request in requests)
            {
                await peer.SendAsync($$"""{"jsonrpc":"2.0","id":{{request["id"]!.ToJsonString()}},"result":{{request["params"]![0]!.ToJsonString()}}}""" + "\n");
            }

            var results = await Task.WhenAll(calls).WaitAsync(Bound, Token);
            results.Select(r => r.GetInt32()).Should().Equal(Enumerable.Range(0, 20));
        }
    }

    [Fact]
    public async Task Concurrent_writes_never_interleave()
    {
        var (client, server) = _kit.CreatePair(DelegateHandler.Echo());
        await using (client)
        await using (server)
        {
            var big = new string('x', 50_000);
            var calls = Enumerable.Range(0, 50).Select(i => Task.Run(() => client.InvokeAsync("echo", [i, big], Token), Token)).ToList();

            var results = await Task.WhenAll(calls).WaitAsync(Bound, Token);

            results.Select(r => r[0].GetInt32()).Should().Equal(Enumerable.Range(0, 50));
            results.Should().OnlyContain(r => r[1].GetString()!.Length == big.Length);
        }
    }

    [Fact]
    public async Task A_request_that_gets_no_answer_times_out_on_the_session_clock_and_the_late_answer_is_dropped()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var call = session.InvokeAsync("server.version", [], Token);
            var request = await peer.ReadMessageAsync();

            _kit.Time.Advance(_kit.Options.RequestTimeout - TimeSpan.FromSeconds(1));
            call.IsCompleted.Should().BeFalse();
            _kit.Time.Advance(TimeSpan.FromSeconds(1));

            await FluentActions.Awaiting(() => call.WaitAsync(Bound, Token)).Should().ThrowAsync<TimeoutException>().WithMessage("*server.version*");
            await peer.SendAsync($$"""{"jsonrpc":"2.0","id":{{request["id"]}},"result":1}""" + "\n");
            var next = session.InvokeAsync("ping", [], Token);
            var ping = await peer.ReadMessageAsync();
            await peer.SendAsync($$"""{"jsonrpc":"2.0","id":{{ping["id"]}},"result":2}""" + "\n");
            (await next.WaitAsync(Bound, Token)).GetInt32().Should().Be(2);
            session.Completion.IsCompleted.Should().BeFalse();
        }
    }

    [Fact]
    public async Task The_request_timeout_of_the_settings_wins_over_the_default()
    {
        var (a, _) = Nerdbank.Streams.FullDuplexStream.CreatePair();
        await using var session = _kit.Factory.Create(a, new JsonRpcSessionSettings { RequestTimeout = TimeSpan.FromSeconds(2) });

        var call = session.InvokeAsync("x", [], Token);
        _kit.Time.Advance(TimeSpan.FromSeconds(2));

        await FluentActions.Awaiting(() => call.WaitAsync(Bound, Token)).Should().ThrowAsync<TimeoutException>();
    }

    [Fact]
    public async Task Cancelling_releases_the_caller_at_once_even_while_the_peer_is_silent()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            using var cts = new CancellationTokenSource();
            var call = session.InvokeAsync("server.version", [], cts.Token);
            var request = await peer.ReadMessageAsync();

            await cts.CancelAsync();

            call.IsCanceled.Should().BeTrue("the caller is released synchronously with the cancellation");
            ((JsonRpcSession)session).PendingCount.Should().Be(0);
            await peer.SendAsync($$"""{"jsonrpc":"2.0","id":{{request["id"]}},"result":1}""" + "\n");
            session.Completion.IsCompleted.Should().BeFalse();
        }
    }

    [Fact]
    public async Task An_already_cancelled_token_sends_nothing()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var call = session.InvokeAsync("x", [], new CancellationToken(canceled: true));

            call.IsCanceled.Should().BeTrue();
        }
    }

    [Fact]
    public async Task An_error_answer_becomes_a_JsonRpcException_with_its_code_message_and_data()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var call = session.InvokeAsync("x", [], Token);
            var request = await peer.ReadMessageAsync();
            await peer.SendAsync($$$$"""{"jsonrpc":"2.0","id":{{{{request["id"]}}}},"error":{"code":-32000,"message":"slow down","data":{"retry":3}}}""" + "\n");

            var error = (await FluentActions.Awaiting(() => call.WaitAsync(Bound, Token)).Should().ThrowAsync<JsonRpcException>()).Which;
            error.Code.Should().Be(-32000);
            error.Message.Should().Be("slow down");
            error.ErrorData!.Value.GetProperty("retry").GetInt32().Should().Be(3);
        }
    }

    [Fact]
    public async Task Lines_ending_in_CRLF_and_padded_with_whitespace_are_accepted()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var call = session.InvokeAsync("x", [], Token);
            var request = await peer.ReadMessageAsync();
            await peer.SendAsync("\r\n   \n" + $$"""  { "jsonrpc" : "2.0", "id" : {{request["id"]}}, "result" : [ 1 ,2 ]  }""" + new string(' ', 900) + "\r\n");

            (await call.WaitAsync(Bound, Token)).GetArrayLength().Should().Be(2);
        }
    }

    [Fact]
    public async Task A_request_to_a_session_without_handler_is_answered_method_not_found_and_the_session_goes_on()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            await peer.SendAsync("""{"jsonrpc":"2.0","id":9,"method":"server.peers.subscribe","params":[]}""" + "\n");
            await peer.SendAsync("""{"jsonrpc":"2.0","method":"blockchain.headers.subscribe","params":[{}]}""" + "\n");

            var answer = await peer.ReadMessageAsync();

            answer["id"]!.GetValue<int>().Should().Be(9);
            answer["error"]!["code"]!.GetValue<int>().Should().Be(JsonRpcErrorCodes.MethodNotFound);
            var call = session.InvokeAsync("x", [], Token);
            var request = await peer.ReadMessageAsync();
            request["method"]!.GetValue<string>().Should().Be("x", "the notification got no answer and the session still works");
        }
    }

    [Fact]
    public async Task A_handler_failure_is_answered_internal_error_without_details()
    {
        var handler = new DelegateHandler(_ => throw new InvalidOperationException("secret connection string"));
        var (session, peer) = _kit.CreateWithRawPeer(handler);
        await using (session)
        await using (peer)
        {
            await peer.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"x"}""" + "\n");

            var answer = await peer.ReadMessageAsync();

            answer["error"]!["code"]!.GetValue<int>().Should().Be(JsonRpcErrorCodes.InternalError);
            answer.ToJsonString().Should().NotContain("secret");
        }
    }

    [Fact]
    public async Task A_JsonRpcException_of_a_handler_is_answered_with_its_code()
    {
        var handler = new DelegateHandler(_ => throw new JsonRpcException(JsonRpcErrorCodes.InvalidParams, "bad height"));
        var (client, server) = _kit.CreatePair(handler);
        await using (client)
        await using (server)
        {
            var error = (await FluentActions.Awaiting(() => client.InvokeAsync("blockchain.block.header", ["x"], Token).WaitAsync(Bound, Token))
                .Should().ThrowAsync<JsonRpcException>()).Which;

            error.Code.Should().Be(JsonRpcErrorCodes.InvalidParams);
            error.Message.Should().Be("bad height");
        }
    }

    [Fact]
    public async Task The_handler_sees_the_session_its_remote_address_and_per_session_state()
    {
        var handler = new DelegateHandler(call =>
        {
            var count = Interlocked.Increment(ref call.Session.GetOrAddState(() => new Counter()).Value);
            return $"{call.Session.RemoteEndPoint} {count}";
        });
        var (client, server) = _kit.CreatePair(handler);
        await using (client)
        await using (server)
        {
            await client.InvokeAsync("x", [], Token).WaitAsync(Bound, Token);
            var second = await client.InvokeAsync("x", [], Token).WaitAsync(Bound, Token);

            second.GetString().Should().Be("127.0.0.1:1234 2");
        }
    }

    [Theory]
    [InlineData("""{"jsonrpc":"1.0","id":1,"method":"x"}""", "1")]
    [InlineData("""{"id":1,"method":"x"}""", "1")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":5}""", "1")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"x","params":"oops"}""", "1")]
    [InlineData("""{"jsonrpc":"2.0","id":{"a":1},"method":"x"}""", "null")]
    [InlineData("""42""", "null")]
    [InlineData("""[]""", "null")]
    [InlineData("\"text\"", "null")]
    public async Task A_message_that_is_JSON_but_not_a_request_is_answered_invalid_request_and_the_session_goes_on(string message, string id)
    {
        var (session, peer) = _kit.CreateWithRawPeer(DelegateHandler.Echo());
        await using (session)
        await using (peer)
        {
            await peer.SendAsync(message + "\n");

            var answer = await peer.ReadMessageAsync();

            answer["error"]!["code"]!.GetValue<int>().Should().Be(JsonRpcErrorCodes.InvalidRequest);
            (answer["id"]?.ToJsonString() ?? "null").Should().Be(id);
            await peer.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"add","params":[1,1]}""" + "\n");
            (await peer.ReadMessageAsync())["result"]!.GetValue<int>().Should().Be(2);
        }
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"x" """)]
    [InlineData("""{"jsonrpc":"2.0","id":1} {"jsonrpc":"2.0"}""")]
    public async Task Text_that_is_not_JSON_is_answered_parse_error_and_closes_the_session(string line)
    {
        var (session, peer) = _kit.CreateWithRawPeer(DelegateHandler.Echo());
        await using (session)
        await using (peer)
        {
            var pending = session.InvokeAsync("x", [], Token);
            await peer.ReadMessageAsync();
            await peer.SendAsync(line + "\n");

            var answer = await peer.ReadMessageAsync();

            answer["error"]!["code"]!.GetValue<int>().Should().Be(JsonRpcErrorCodes.ParseError);
            await FluentActions.Awaiting(() => session.Completion.WaitAsync(Bound, Token)).Should().ThrowAsync<JsonRpcProtocolException>();
            await FluentActions.Awaiting(() => pending.WaitAsync(Bound, Token)).Should().ThrowAsync<JsonRpcProtocolException>();
            await FluentActions.Awaiting(() => session.InvokeAsync("y", [], Token)).Should().ThrowAsync<JsonRpcProtocolException>();
        }
    }

    [Fact]
    public async Task Invalid_UTF8_is_answered_parse_error_and_closes_the_session()
    {
        var (session, peer) = _kit.CreateWithRawPeer(DelegateHandler.Echo());
        await using (session)
        await using (peer)
        {
            byte[] bad = [.. "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a"u8, 0xC3, 0x28, 0xFF, .. "\"}\n"u8];
            await peer.SendAsync(bad);

            var answer = await peer.ReadMessageAsync();

            answer["error"]!["code"]!.GetValue<int>().Should().Be(JsonRpcErrorCodes.ParseError);
            await FluentActions.Awaiting(() => session.Completion.WaitAsync(Bound, Token)).Should().ThrowAsync<JsonRpcProtocolException>();
        }
    }

    [Fact]
    public async Task Invalid_UTF8_deep_inside_a_long_message_is_found_too()
    {
        var (session, peer) = _kit.CreateWithRawPeer(DelegateHandler.Echo());
        await using (session)
        await using (peer)
        {
            byte[] bad = [.. "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo\",\"params\":[\""u8, .. Enumerable.Repeat((byte)'a', 100_000), 0xED, 0xA0, 0x80, .. "\"]}\n"u8];
            await peer.SendAsync(bad);

            (await peer.ReadMessageAsync())["error"]!["code"]!.GetValue<int>().Should().Be(JsonRpcErrorCodes.ParseError);
            await FluentActions.Awaiting(() => session.Completion.WaitAsync(Bound, Token)).Should().ThrowAsync<JsonRpcProtocolException>().WithMessage("*UTF-8*");
        }
    }

    [Fact]
    public async Task A_long_valid_message_spanning_many_read_buffers_is_read_whole()
    {
        var (client, server) = _kit.CreatePair(DelegateHandler.Echo());
        await using (client)
        await using (server)
        {
            var text = string.Concat(Enumerable.Repeat("héllo wörld ✓ ", 30_000));

            var echoed = await client.InvokeAsync("echo", [text], Token).WaitAsync(Bound, Token);

            echoed[0].GetString().Should().Be(text);
            System.Text.Encoding.UTF8.GetByteCount(text).Should().BeGreaterThan(500_000, "the message spans many read buffers");
        }
    }

    [Fact]
    public async Task A_line_longer_than_the_limit_closes_the_session_without_reading_much_beyond_it()
    {
        CountingStream? counting = null;
        var (session, peer) = _kit.CreateWithRawPeer(wrap: s => counting = new CountingStream(s));
        await using (session)
        await using (peer)
        {
            var pending = session.InvokeAsync("x", [], Token);
            await peer.ReadMessageAsync();
            var twoMiB = new byte[2 * 1024 * 1024];
            twoMiB.AsSpan().Fill((byte)'a');
            _ = peer.Stream.WriteAsync(twoMiB, Token).AsTask();

            var closed = await FluentActions.Awaiting(() => session.Completion.WaitAsync(Bound, Token)).Should().ThrowAsync<JsonRpcProtocolException>();
            closed.WithMessage("*longer than the limit of 1048576 bytes*");
            await FluentActions.Awaiting(() => pending.WaitAsync(Bound, Token)).Should().ThrowAsync<JsonRpcProtocolException>();
            counting!.BytesRead.Should().BeLessThan(_kit.Options.MaxMessageBytes + (64 * 1024), "the reader stops at the bound");
        }
    }

    [Fact]
    public async Task A_message_exactly_at_the_limit_is_accepted()
    {
        _kit.Options.MaxMessageBytes = 4096;
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var call = session.InvokeAsync("x", [], Token);
            var request = await peer.ReadMessageAsync();
            var head = $$"""{"jsonrpc":"2.0","id":{{request["id"]}},"result":" """;
            var message = head + new string('a', 4096 - head.Length - 2) + "\"}";
            message.Length.Should().Be(4096);
            await peer.SendAsync(message + "\n");

            (await call.WaitAsync(Bound, Token)).GetString()!.Length.Should().Be(4096 - head.Length - 2 + 1);
        }
    }

    [Fact]
    public async Task An_answer_with_an_unknown_id_is_dropped_and_the_session_goes_on()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var call = session.InvokeAsync("x", [], Token);
            var request = await peer.ReadMessageAsync();
            await peer.SendAsync("""{"jsonrpc":"2.0","id":424242,"result":1}""" + "\n");
            await peer.SendAsync("""{"jsonrpc":"2.0","id":"abc","result":1}""" + "\n");
            await peer.SendAsync("""{"jsonrpc":"2.0","result":1}""" + "\n");
            await peer.SendAsync($$"""{"jsonrpc":"2.0","id":{{request["id"]}},"result":"mine"}""" + "\n");

            (await call.WaitAsync(Bound, Token)).GetString().Should().Be("mine");
            session.Completion.IsCompleted.Should().BeFalse();
        }
    }

    [Theory]
    [InlineData("""{"jsonrpc":"1.0","id":ID,"result":1}""", "not \"2.0\"")]
    [InlineData("""{"id":ID,"result":1}""", "not \"2.0\"")]
    [InlineData("""{"jsonrpc":"2.0","id":ID,"result":1,"error":{"code":1,"message":"m"}}""", "both")]
    [InlineData("""{"jsonrpc":"2.0","id":ID}""", "neither a result nor an error")]
    [InlineData("""{"jsonrpc":"2.0","id":ID,"error":"broken"}""", "integer code")]
    [InlineData("""{"jsonrpc":"2.0","id":ID,"error":{"code":"x","message":"m"}}""", "integer code")]
    [InlineData("""{"jsonrpc":"2.0","id":ID,"error":{"code":1e300,"message":"m"}}""", "integer code")]
    public async Task A_malformed_answer_fails_its_request_with_a_protocol_error(string template, string reason)
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var call = session.InvokeAsync("server.features", [], Token);
            var request = await peer.ReadMessageAsync();
            await peer.SendAsync(template.Replace("ID", request["id"]!.ToJsonString(), StringComparison.Ordinal) + "\n");

            await FluentActions.Awaiting(() => call.WaitAsync(Bound, Token)).Should().ThrowAsync<JsonRpcProtocolException>()
                .WithMessage($"*server.features*{reason}*");
        }
    }

    [Theory]
    [InlineData("\"a string\"", JsonValueKind.String)]
    [InlineData("123456789012345678901234567890", JsonValueKind.Number)]
    [InlineData("null", JsonValueKind.Null)]
    [InlineData("[[[]]]", JsonValueKind.Array)]
    public async Task An_answer_of_the_wrong_type_reaches_the_caller_as_it_is_for_the_caller_to_reject(string result, JsonValueKind kind)
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var call = session.InvokeAsync("blockchain.headers.subscribe", [], Token);
            var request = await peer.ReadMessageAsync();
            await peer.SendAsync($$"""{"jsonrpc":"2.0","id":{{request["id"]}},"result":{{result}}}""" + "\n");

            (await call.WaitAsync(Bound, Token)).ValueKind.Should().Be(kind);
        }
    }

    [Fact]
    public async Task An_answer_trickled_one_byte_at_a_time_arrives_whole()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var call = session.InvokeAsync("x", [], Token);
            var request = await peer.ReadMessageAsync();
            var answer = System.Text.Encoding.UTF8.GetBytes($$$"""{"jsonrpc":"2.0","id":{{{request["id"]}}},"result":{"height":800000,"hex":"00ff"}}""" + "\n");
            foreach (var b in answer)
            {
                await peer.SendAsync([b]);
            }

            (await call.WaitAsync(Bound, Token)).GetProperty("height").GetInt32().Should().Be(800000);
        }
    }

    [Fact]
    public async Task A_peer_that_trickles_forever_is_cut_off_by_the_request_timeout()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        await using (peer)
        {
            var call = session.InvokeAsync("x", [], Token);
            await peer.ReadMessageAsync();
            await peer.SendAsync("{\"jsonrpc\":");
            for (var i = 0; i < 100; i++)
            {
                await peer.SendAsync(" ");
                _kit.Time.Advance(TimeSpan.FromSeconds(1));
            }

            await FluentActions.Awaiting(() => call.WaitAsync(Bound, Token)).Should().ThrowAsync<TimeoutException>();
        }
    }

    [Fact]
    public async Task A_peer_that_closes_in_the_middle_of_a_message_fails_the_pending_requests()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        {
            var call = session.InvokeAsync("x", [], Token);
            var request = await peer.ReadMessageAsync();
            await peer.SendAsync($$"""{"jsonrpc":"2.0","id":{{request["id"]}},"res""");
            await peer.DisposeAsync();

            await FluentActions.Awaiting(() => call.WaitAsync(Bound, Token)).Should().ThrowAsync<IOException>();
            await FluentActions.Awaiting(() => session.Completion.WaitAsync(Bound, Token)).Should().ThrowAsync<IOException>().WithMessage("*middle of a message*");
        }
    }

    [Fact]
    public async Task A_peer_that_closes_cleanly_completes_the_session_and_fails_pending_requests()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (session)
        {
            var call = session.InvokeAsync("x", [], Token);
            await peer.ReadMessageAsync();
            await peer.DisposeAsync();

            await session.Completion.WaitAsync(Bound, Token);
            await FluentActions.Awaiting(() => call.WaitAsync(Bound, Token)).Should().ThrowAsync<IOException>().WithMessage("*closed*");
            await FluentActions.Awaiting(() => session.NotifyAsync("x", [], Token).AsTask()).Should().ThrowAsync<IOException>();
        }
    }

    [Fact]
    public async Task Disposing_fails_every_pending_request_with_a_clear_error_and_closes_the_stream()
    {
        var (session, peer) = _kit.CreateWithRawPeer();
        await using (peer)
        {
            var calls = Enumerable.Range(0, 3).Select(_ => session.InvokeAsync("x", [], Token)).ToList();
            await peer.ReadMessageAsync();

            await session.DisposeAsync().AsTask().WaitAsync(Bound, Token);

            foreach (var call in calls)
            {
                await FluentActions.Awaiting(() => call).Should().ThrowAsync<IOException>().WithMessage("*disposed*");
            }

            await session.Completion.WaitAsync(Bound, Token);
            (await peer.ReadToEndAsync()).Should().NotContain("error");
            await session.DisposeAsync();
            await FluentActions.Awaiting(() => session.InvokeAsync("x", [], Token)).Should().ThrowAsync<IOException>();
        }
    }

    [Fact]
    public async Task Disposing_cancels_the_handlers_still_running()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler(async (_, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return null;
        });
        var (session, peer) = _kit.CreateWithRawPeer(handler);
        await using (peer)
        {
            await peer.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"slow"}""" + "\n");
            await started.Task.WaitAsync(Bound, Token);

            await session.DisposeAsync().AsTask().WaitAsync(Bound, Token);
        }
    }

    [Fact]
    public async Task A_flood_of_requests_runs_at_most_a_bounded_number_of_handlers_at_once()
    {
        var running = 0;
        var peak = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var full = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handler = new DelegateHandler(async (_, ct) =>
        {
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref peak, now);
            if (now >= new JsonRpcOptions().MaxCallsInFlight)
            {
                full.TrySetResult();
            }

            await release.Task.WaitAsync(ct);
            Interlocked.Decrement(ref running);
            return 1;
        });
        var (session, peer) = _kit.CreateWithRawPeer(handler);
        await using (session)
        await using (peer)
        {
            var lines = string.Concat(Enumerable.Range(0, 200).Select(i => $$"""{"jsonrpc":"2.0","id":{{i}},"method":"m"}""" + "\n"));
            var send = peer.SendAsync(lines);

            // Every slot is taken and 184 calls wait: the bound must hold while they do.
            await full.Task.WaitAsync(Token);
            await send;
            Volatile.Read(ref running).Should().Be(new JsonRpcOptions().MaxCallsInFlight);
            release.SetResult();
            for (var i = 0; i < 200; i++)
            {
                await peer.ReadMessageAsync();
            }

            peak.Should().BeLessThanOrEqualTo(new JsonRpcOptions().MaxCallsInFlight);
        }

        static void InterlockedMax(ref int target, int value)
        {
            int current;
            while ((current = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, current) != current)
            {
            }
        }
    }

    [Fact]
    public void The_factory_refuses_a_stream_that_cannot_write()
    {
        using var readOnly = new MemoryStream([], writable: false);

        FluentActions.Invoking(() => _kit.Factory.Create(readOnly, new JsonRpcSessionSettings()))
            .Should().Throw<ArgumentException>().WithParameterName("stream");
    }
}
