using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace PeerManagement;

/// <summary>
/// What a session does with each line it receives: answers to ours go to <see cref="JsonRpcPendingRequests"/>;
/// requests, notifications and batches go to the handler and are answered; anything else gets the error the
/// protocol asks for. The work a remote party can queue is bounded: a batch by <see cref="JsonRpcBatchRules"/>,
/// calls and bytes in flight by <see cref="SessionWorkBudget"/> (reading waits while the session is at its bound).
/// </summary>
internal sealed class JsonRpcDispatcher(
    JsonRpcSession session,
    IJsonRpcRequestHandler? handler,
    JsonRpcPendingRequests pending,
    SessionWorkBudget budget,
    JsonRpcSessionLifetime lifetime,
    int maxBatchCalls,
    ILogger logger)
{
    private readonly JsonRpcMethodNames _methodNames = new();

    /// <summary>Handles one line; a line that is not JSON closes the session (<see cref="JsonRpcProtocolException"/>).</summary>
    public async ValueTask ProcessLineAsync(ReadOnlySequence<byte> line, CancellationToken token)
    {
        if (JsonRpcLineReader.IsWhiteSpace(line))
        {
            return;
        }

        // Refused before it is parsed: building a huge batch would cost many times its own size.
        if (JsonRpcBatchRules.LooksLikeBatch(line) && JsonRpcBatchRules.HasMoreItemsThan(line, maxBatchCalls))
        {
            Log.BatchTooLarge(logger, session.RemoteEndPoint, maxBatchCalls);
            await TrySendErrorAsync(default, JsonRpcErrorCodes.InvalidRequest, "Batch too large").ConfigureAwait(false);
            return;
        }

        // A parsed message is held until it is answered: reading waits while the session holds its bound.
        var bytes = line.Length;
        await budget.AcquireAsync(0, bytes, token).ConfigureAwait(false);
        var handedOver = false;
        var parsed = default(JsonRpcPooledLine);
        try
        {
            if (!JsonRpcLineParser.TryParse(line, out parsed, out var parseError))
            {
                await TrySendErrorAsync(default, JsonRpcErrorCodes.ParseError, "Parse error").ConfigureAwait(false);
                throw new JsonRpcProtocolException($"The remote party sent a message that is not JSON: {parseError}");
            }

            var root = parsed.Root;
            if (root.ValueKind == JsonValueKind.Object)
            {
                handedOver = await ProcessMessageAsync(root, parsed, bytes, token).ConfigureAwait(false);
            }
            else if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0)
            {
                // A batch's calls run side by side and end in any order: they share one copy, not the pooled line.
                var batch = root.Clone();
                parsed.Release();
                parsed = default;
                handedOver = true;
                await ProcessBatchAsync(batch, bytes, token).ConfigureAwait(false);
            }
            else
            {
                await SendInvalidRequestAsync(default, "a message must be an object or a non-empty array").ConfigureAwait(false);
            }
        }
        finally
        {
            if (!handedOver)
            {
                parsed.Release();
                budget.Release(0, bytes);
            }
        }
    }

    /// <summary>Answers a line over the bound with a parse error, before the session closes.</summary>
    public ValueTask SendTooLongAsync() => TrySendErrorAsync(default, JsonRpcErrorCodes.ParseError, "Message too long");

    /// <summary>Handles one message; returns <see langword="true"/> when a call took over the message (its line and its bytes).</summary>
    private async ValueTask<bool> ProcessMessageAsync(JsonElement message, JsonRpcPooledLine line, long bytes, CancellationToken token)
    {
        var parsed = JsonRpcMessage.Classify(message, _methodNames);
        if (parsed.IsResponse)
        {
            Answer(parsed);
            return false;
        }

        if (parsed.Invalid is { } reason)
        {
            if (parsed.LacksMethod && parsed.Id.ValueKind == JsonValueKind.Number && pending.IsPending(parsed.Id))
            {
                // An answer to one of our requests with neither result nor error.
                parsed.IsResponse = true;
                parsed.Invalid = "it has neither a result nor an error";
                Answer(parsed);
                return false;
            }

            await SendInvalidRequestAsync(parsed.Id, reason).ConfigureAwait(false);
            return false;
        }

        lifetime.MarkActive();
        if (handler is null)
        {
            if (!parsed.IsNotification)
            {
                await TrySendErrorAsync(parsed.Id, JsonRpcErrorCodes.MethodNotFound, "Method not found").ConfigureAwait(false);
            }

            return false;
        }

        await budget.AcquireAsync(1, 0, token).ConfigureAwait(false);
        _ = HandleCallAsync(parsed, line, bytes, token);
        return true;
    }

    /// <summary>Handles a batch; owns the batch's <paramref name="bytes"/> in the budget and gives them back when it is answered.</summary>
    private async ValueTask ProcessBatchAsync(JsonElement batch, long bytes, CancellationToken token)
    {
        List<JsonRpcMessage>? calls = null;
        List<(JsonElement Id, int Code, string Message)>? errors = null;
        long errorBytes = 0;
        var active = false;
        foreach (var item in batch.EnumerateArray())
        {
            var parsed = item.ValueKind == JsonValueKind.Object
                ? JsonRpcMessage.Classify(item, _methodNames)
                : JsonRpcMessage.InvalidItem("a batch item must be an object");
            if (parsed.IsResponse)
            {
                Answer(parsed);
            }
            else if (parsed.Invalid is not null)
            {
                (errors ??= []).Add((parsed.Id, JsonRpcErrorCodes.InvalidRequest, "Invalid request"));
                errorBytes += JsonRpcBatchRules.ErrorBytes(parsed.Id);
            }
            else if (handler is null)
            {
                active = true;
                if (!parsed.IsNotification)
                {
                    (errors ??= []).Add((parsed.Id, JsonRpcErrorCodes.MethodNotFound, "Method not found"));
                    errorBytes += JsonRpcBatchRules.ErrorBytes(parsed.Id);
                }
            }
            else
            {
                active = true;
                (calls ??= []).Add(parsed);
            }
        }

        if (active)
        {
            lifetime.MarkActive();
        }

        if (errors is not null && errorBytes > JsonRpcBatchRules.ErrorBudget(bytes))
        {
            // The errors would outweigh the request: one error answers the whole batch, and none of it is handled.
            budget.Release(0, bytes);
            await SendInvalidRequestAsync(default, $"a batch of {errors.Count} bad items, whose errors would outweigh the batch").ConfigureAwait(false);
            return;
        }

        if (errors is not null)
        {
            Log.InvalidMessage(logger, session.RemoteEndPoint, JsonRpcErrorCodes.InvalidRequest, $"a batch with {errors.Count} items answered with an error");
        }

        if (calls is null)
        {
            budget.Release(0, bytes);
            if (errors is not null)
            {
                await TryWriteAsync(new BatchRun(errors, 0), static (w, r) => r.WriteAnswers(w)).ConfigureAwait(false);
            }

            return;
        }

        // The calls run side by side, each holding one call of the budget, so rate-limit delays overlap instead of
        // adding up; the dispatcher holds one share of the batch until every call is started.
        var run = new BatchRun(errors, calls.Count);
        var dispatched = 0;
        var failed = true;
        try
        {
            for (; dispatched < calls.Count; dispatched++)
            {
                await budget.AcquireAsync(1, 0, token).ConfigureAwait(false);
                _ = RunBatchCallAsync(run, dispatched, calls[dispatched], bytes, token);
            }

            failed = false;
        }
        finally
        {
            if (run.Complete(calls.Count - dispatched + 1))
            {
                if (failed)
                {
                    budget.Release(0, bytes);
                }
                else
                {
                    await FinishBatchAsync(run, bytes).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>Runs one call; its line lives until the answer is written (the params' lifetime handlers are promised).</summary>
    private async Task HandleCallAsync(JsonRpcMessage call, JsonRpcPooledLine line, long bytes, CancellationToken token)
    {
        try
        {
            var answer = await InvokeHandlerAsync(call, token).ConfigureAwait(false);
            if (answer is { } a)
            {
                await TryWriteAsync(a, JsonRpcWireFormat.WriteAnswer).ConfigureAwait(false);
            }
        }
        finally
        {
            line.Release();
            budget.Release(1, bytes);
        }
    }

    private async Task RunBatchCallAsync(BatchRun run, int index, JsonRpcMessage call, long bytes, CancellationToken token)
    {
        try
        {
            run.SetAnswer(index, await InvokeHandlerAsync(call, token).ConfigureAwait(false));
        }
        finally
        {
            budget.Release(1, 0);
        }

        if (run.Complete(1))
        {
            await FinishBatchAsync(run, bytes).ConfigureAwait(false);
        }
    }

    private async ValueTask FinishBatchAsync(BatchRun run, long bytes)
    {
        try
        {
            if (run.HasAnswers)
            {
                await TryWriteAsync(run, static (w, r) => r.WriteAnswers(w)).ConfigureAwait(false);
            }
        }
        finally
        {
            budget.Release(0, bytes);
        }
    }

    /// <summary>Runs the handler; returns the answer to send, or <see langword="null"/> for a notification or a closed session.</summary>
    private async ValueTask<JsonRpcAnswer?> InvokeHandlerAsync(JsonRpcMessage call, CancellationToken token)
    {
        try
        {
            var result = await handler!.HandleAsync(new JsonRpcCall(call.Method!, call.Params, call.IsNotification, session), token).ConfigureAwait(false);
            return call.IsNotification ? null : new JsonRpcAnswer(call.Id, result, 0, null, null);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return null;
        }
        catch (JsonRpcException ex)
        {
            return call.IsNotification ? null : JsonRpcAnswer.Error(call.Id, ex.Code, ex.Message, ex.ErrorData);
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(logger, call.Method!, session.RemoteEndPoint, ex);
            return call.IsNotification ? null : JsonRpcAnswer.Error(call.Id, JsonRpcErrorCodes.InternalError, "Internal error");
        }
    }

    /// <summary>Hands an answer to the request it is for; an answer with an unknown id is dropped (usually late).</summary>
    private void Answer(in JsonRpcMessage response)
    {
        if (!pending.Answer(response) && logger.IsEnabled(LogLevel.Debug))
        {
            Log.UnknownResponseId(logger, response.Id.ValueKind == JsonValueKind.Undefined ? "(none)" : response.Id.GetRawText(), session.RemoteEndPoint);
        }
    }

    private ValueTask SendInvalidRequestAsync(JsonElement id, string reason)
    {
        Log.InvalidMessage(logger, session.RemoteEndPoint, JsonRpcErrorCodes.InvalidRequest, reason);
        return TrySendErrorAsync(id, JsonRpcErrorCodes.InvalidRequest, "Invalid request");
    }

    private ValueTask TrySendErrorAsync(JsonElement id, int code, string message)
        => TryWriteAsync((Id: id, Code: code, Message: message), static (w, s) => JsonRpcWireFormat.WriteError(w, s.Id, s.Code, s.Message, null));

    /// <summary>Writes an answer; a failure has already closed the session, so it is not rethrown.</summary>
    private async ValueTask TryWriteAsync<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        try
        {
            await session.WriteAsync(state, write).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or JsonRpcProtocolException or OperationCanceledException or ObjectDisposedException)
        {
            // The session is closed; there is no one left to answer.
        }
    }
}
