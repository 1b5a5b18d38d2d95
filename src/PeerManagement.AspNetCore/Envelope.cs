using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace PeerManagement.AspNetCore;

/// <summary>Writes the bodies of SPEC §6: <c>{"success": true, "response": ...}</c> and <c>{"success": false, "code": 1, "message": ...}</c>.</summary>
internal static class Envelope
{
    public const int ErrorCode = 1;

    public static Task WriteFailureAsync(HttpContext context, int statusCode, string message)
    {
        var response = context.Response;
        response.StatusCode = statusCode;
        return response.WriteAsJsonAsync(new FailureBody(message), GetOptions(context), context.RequestAborted);
    }

    public static Task WriteSuccessAsync<T>(HttpContext context, T value, int statusCode)
    {
        context.Response.StatusCode = statusCode;
        return context.Response.WriteAsJsonAsync(new SuccessBody<T>(value), GetOptions(context), context.RequestAborted);
    }

    private static JsonSerializerOptions GetOptions(HttpContext context)
        => context.RequestServices.GetService<IOptions<JsonOptions>>()?.Value.SerializerOptions ?? JsonSerializerOptions.Web;

    internal sealed record FailureBody([property: JsonPropertyName("message"), JsonPropertyOrder(2)] string Message)
    {
        [JsonPropertyName("success")]
        [JsonPropertyOrder(0)]
        public bool Success => false;

        [JsonPropertyName("code")]
        [JsonPropertyOrder(1)]
        public int Code => ErrorCode;
    }

    internal sealed record SuccessBody<T>([property: JsonPropertyName("response"), JsonPropertyOrder(1)] T Response)
    {
        [JsonPropertyName("success")]
        [JsonPropertyOrder(0)]
        public bool Success => true;
    }
}
