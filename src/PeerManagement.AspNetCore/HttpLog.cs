using Microsoft.Extensions.Logging;

namespace PeerManagement.AspNetCore;

/// <summary>Log lines of the ASP.NET Core integration (event ids 700-799).</summary>
internal static partial class HttpLog
{
    [LoggerMessage(700, LogLevel.Error, "Unhandled exception while serving {Method} {Path}")]
    public static partial void UnhandledException(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(701, LogLevel.Debug, "Rate limit exceeded by {RemoteAddress} for {Path}; retry after {RetryAfterSeconds} s")]
    public static partial void RequestRejected(ILogger logger, string remoteAddress, string path, long retryAfterSeconds);

    [LoggerMessage(702, LogLevel.Information, "Admin add of peer {RealName}: {Result}")]
    public static partial void AdminAdd(ILogger logger, string realName, string result);

    [LoggerMessage(703, LogLevel.Warning, "Could not write the error envelope for {Method} {Path}: the response had already started")]
    public static partial void ResponseStarted(ILogger logger, string method, string path);

    [LoggerMessage(710, LogLevel.Information, "Client error {Kind} on {Method} {Path}: {Message}; {NotLogged} more of this kind since the last such line were not logged (at most one line per {Window})")]
    public static partial void ClientError(ILogger logger, ClientErrorKind kind, string method, string path, string message, long notLogged, TimeSpan window);

    [LoggerMessage(720, LogLevel.Information, "Operator kick of {Match}: {Count} peers forgotten; ban {Ban}")]
    public static partial void OperatorKick(ILogger logger, string match, int count, string ban);

    [LoggerMessage(721, LogLevel.Information, "Operator ban of {Match} until {Until}")]
    public static partial void OperatorBan(ILogger logger, string match, string until);

    [LoggerMessage(722, LogLevel.Information, "Operator removal of the ban of {Match}: {Result}")]
    public static partial void OperatorUnban(ILogger logger, string match, string result);
}
