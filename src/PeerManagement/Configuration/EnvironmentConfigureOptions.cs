using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PeerManagement;

/// <summary>
/// Applies the environment-variable settings (SPEC names such as <c>MAX_TOKENS</c>) to the options. Values are
/// read from the host's <see cref="IConfiguration"/> when one is registered (its environment provider exposes
/// them under the same keys), else from the process environment. A value that cannot be read is not thrown
/// on here: it is recorded and reported by validation at start, naming the setting and the value.
/// </summary>
internal sealed class EnvironmentConfigureOptions : IConfigureOptions<PeerManagementOptions>, IConfigureOptions<ProxyOptions>, IConfigureOptions<RateLimitingOptions>
{
    internal const string PeerDiscovery = "PEER_DISCOVERY";
    internal const string PeerAnnounce = "PEER_ANNOUNCE";
    internal const string ForceProxy = "FORCE_PROXY";
    internal const string TorProxyHost = "TOR_PROXY_HOST";
    internal const string TorProxyPort = "TOR_PROXY_PORT";
    internal const string BlacklistUrl = "BLACKLIST_URL";
    internal const string MaxTokens = "MAX_TOKENS";
    internal const string WindowSeconds = "RATE_LIMIT_WINDOW_SECONDS";
    internal const string DelayAfter = "RATE_LIMIT_DELAY_AFTER";
    internal const string DelayMilliseconds = "RATE_LIMIT_DELAY_MS";
    internal const string EnableRateLimit = "ENABLE_RATE_LIMIT";

    private readonly Func<string, string?> _read;

    public EnvironmentConfigureOptions(IServiceProvider services)
    {
        var configuration = services.GetService<IConfiguration>();
        _read = configuration is null ? Environment.GetEnvironmentVariable : key => configuration[key];
    }

    internal EnvironmentConfigureOptions(Func<string, string?> read) => _read = read;

    public void Configure(PeerManagementOptions options)
    {
        var reader = new SettingReader(_read, options.ConfigurationErrors);
        reader.Read<PeerDiscoveryMode>(PeerDiscovery, TryParseMode, "one of on, self, off", v => options.Discovery = v);
        reader.Read<bool>(PeerAnnounce, TryParseBool, "true or false", v => options.Announce = v);
        reader.Read<bool>(ForceProxy, TryParseBool, "true or false", v => options.ForceProxy = v);
        reader.Read<Uri?>(BlacklistUrl, TryParseUrl, "an absolute http or https URL", v => options.BlacklistUrl = v);
    }

    public void Configure(ProxyOptions options)
    {
        var reader = new SettingReader(_read, options.ConfigurationErrors);
        reader.Read<string>(TorProxyHost, TryParseHost, "a host name or address", v => options.TorProxyHost = v);
        reader.Read<int?>(TorProxyPort, TryParsePort, "a port (1-65535)", v => options.TorProxyPort = v);
    }

    public void Configure(RateLimitingOptions options)
    {
        var reader = new SettingReader(_read, options.ConfigurationErrors);
        reader.Read<bool>(EnableRateLimit, TryParseBool, "true or false", v => options.Enabled = v);
        reader.Read<int>(MaxTokens, (string s, out int v) => TryParseInt(s, 1, out v), "a whole number of at least 1", v => options.MaxTokens = v);
        reader.Read<TimeSpan>(WindowSeconds, (string s, out TimeSpan v) => TryParseDuration(s, 1, minimumExclusive: true, out v), "a number of seconds above 0", v => options.Window = v);
        reader.Read<int>(DelayAfter, (string s, out int v) => TryParseInt(s, 0, out v), "a whole number of at least 0", v => options.DelayAfter = v);
        reader.Read<TimeSpan>(DelayMilliseconds, (string s, out TimeSpan v) => TryParseDuration(s, 0.001, minimumExclusive: false, out v), "a number of milliseconds of at least 0", v => options.Delay = v);
    }

    internal static bool TryParseBool(string text, out bool value)
    {
        switch (text.Trim().ToUpperInvariant())
        {
            case "TRUE" or "1" or "YES" or "ON":
                value = true;
                return true;
            case "FALSE" or "0" or "NO" or "OFF":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    private static bool TryParseMode(string text, out PeerDiscoveryMode value)
    {
        switch (text.Trim().ToUpperInvariant())
        {
            case "ON":
                value = PeerDiscoveryMode.On;
                return true;
            case "SELF":
                value = PeerDiscoveryMode.Self;
                return true;
            case "OFF":
                value = PeerDiscoveryMode.Off;
                return true;
            default:
                value = default;
                return false;
        }
    }

    private static bool TryParseHost(string text, out string value)
    {
        value = text.Trim();
        return value.Length > 0 && Uri.CheckHostName(value.Trim('[', ']')) != UriHostNameType.Unknown;
    }

    private static bool TryParsePort(string text, out int? value)
    {
        var ok = TryParseInt(text, 1, out var port) && port <= 65535;
        value = ok ? port : null;
        return ok;
    }

    private static bool TryParseUrl(string text, out Uri? value)
    {
        var ok = Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
        value = ok ? uri : null;
        return ok;
    }

    private static bool TryParseInt(string text, int minimum, out int value)
        => int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value) && value >= minimum;

    // scale: seconds per unit (1 for seconds, 0.001 for milliseconds).
    private static bool TryParseDuration(string text, double scale, bool minimumExclusive, out TimeSpan value)
    {
        value = default;
        if (!double.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var units)
            || !double.IsFinite(units) || units < 0 || (minimumExclusive && units == 0) || units * scale > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(units * scale);
        return true;
    }

    private delegate bool TryParse<T>(string text, out T value);

    private readonly struct SettingReader(Func<string, string?> read, List<string> errors)
    {
        public void Read<T>(string name, TryParse<T> parse, string expected, Action<T> apply)
        {
            var text = read(name);
            if (text is null)
            {
                return;
            }

            if (parse(text, out var value))
            {
                apply(value);
            }
            else
            {
                errors.Add($"{name}='{text}' is not {expected}.");
            }
        }
    }
}
