using System.Text;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// The rules of <see cref="ProxyOptions"/> that attributes cannot say: unreadable environment values, credentials
/// set together and within RFC 1929's length, and a probe that fits in one look.
/// </summary>
internal sealed class ProxyOptionsRules : IValidateOptions<ProxyOptions>
{
    private const int MaxCredentialBytes = 255;

    public ValidateOptionsResult Validate(string? name, ProxyOptions options)
    {
        var failures = new List<string>(options.ConfigurationErrors);
        if ((options.ProxyUserName is null) != (options.ProxyPassword is null))
        {
            failures.Add("ProxyUserName and ProxyPassword must be set together.");
        }

        CheckCredential(nameof(options.ProxyUserName), options.ProxyUserName, failures);
        CheckCredential(nameof(options.ProxyPassword), options.ProxyPassword, failures);
        if (options.ProbeTimeout > options.DetectTimeout)
        {
            failures.Add($"ProbeTimeout ({options.ProbeTimeout}) must not be longer than DetectTimeout ({options.DetectTimeout}), or no probe could finish within a look.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckCredential(string setting, string? value, List<string> failures)
    {
        // The length only: a credential is a secret and never goes into a message.
        if (value is not null && (value.Length == 0 || Encoding.UTF8.GetByteCount(value) > MaxCredentialBytes))
        {
            failures.Add($"{setting} must be 1 to {MaxCredentialBytes} bytes long (RFC 1929); it is {Encoding.UTF8.GetByteCount(value)}.");
        }
    }
}
