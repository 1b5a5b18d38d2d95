using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace PeerManagement.AspNetCore.Tests;

/// <summary>
/// The status page in a real browser: the system's Chromium, headless, driven through the system's chromedriver
/// (both paths given, so nothing is downloaded). Skipped, with the reason, when either is missing.
/// </summary>
public sealed class PeerManagementDashboardTests
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private const string ChromeDriverPath = "/usr/bin/chromedriver";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_page_is_self_contained_and_allows_no_other_origin()
    {
        await using var app = await StartAsync();

        using var response = await app.Client.GetAsync("/peers/ui", Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        response.Headers.GetValues("Content-Security-Policy").Single().Should().Contain("default-src 'none'").And.Contain("connect-src 'self'");
        html.Should().NotContain("http://").And.NotContain("https://").And.NotContain("src=", "nothing is fetched from outside");
        html.Should().Contain("data-api=\"/peers\"").And.Contain("data-actions=\"true\"");
    }

    [Fact]
    public async Task The_page_shows_the_table_and_its_changes_live_and_a_kick_removes_a_row()
    {
        if (!File.Exists(ChromiumPath) || !File.Exists(ChromeDriverPath))
        {
            Assert.Skip($"The browser test needs {ChromiumPath} and {ChromeDriverPath} (apt-get install chromium chromium-driver).");
        }

        await using var app = await StartAsync();
        using var driver = StartBrowser();
        var wait = new WebDriverWait(driver, Bound);
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException));

        driver.Navigate().GoToUrl(new Uri(app.Client.BaseAddress!, "/peers/ui"));

        // The seeded table: counts and rows.
        wait.Until(d => d.FindElement(By.Id("count-total")).Text == "5");
        Count(driver, "good").Should().Be("2");
        Count(driver, "stale").Should().Be("1");
        Count(driver, "never").Should().Be("1");
        Count(driver, "bad").Should().Be("1");
        Rows(driver).Should().BeEquivalentTo(
            [("alpha.example.org", "good"), ("beta.example.org", "good"), ("gamma.example.org", "stale"), ("delta.example.org", "never"), ("evil.example.org", "bad")]);
        Script(driver, "return document.querySelector(\"#peers tr[data-host='evil.example.org'] td.status\").className").Should().Contain("status-bad");
        Script(driver, "return document.querySelector(\"#peers tr[data-host='evil.example.org'] td.reason\").textContent").Should().Be("incorrect genesis hash");

        // The filter by status.
        driver.FindElement(By.CssSelector("#filter option[value='bad']")).Click();
        Rows(driver).Select(r => r.Host).Should().Equal("evil.example.org");
        driver.FindElement(By.CssSelector("#filter option[value='']")).Click();

        // A status change, made behind the page's back, appears without a reload.
        using (var ban = await app.Client.PostAsJsonAsync("/peers/bans", new { match = "alpha.example.org", reason = "test" }, Ct))
        {
            ban.EnsureSuccessStatusCode();
        }

        wait.Until(d => Rows(d).Contains(("alpha.example.org", "bad")));
        wait.Until(d => Script(d, "return document.getElementById('events').textContent").Contains("alpha.example.org  good \u2192 bad: blacklisted", StringComparison.Ordinal));
        Count(driver, "bad").Should().Be("2");
        SaveScreenshot(driver);

        // The kick button removes the row.
        Script(driver, "document.querySelector(\"#peers tr[data-host='beta.example.org'] button.kick\").click(); return ''");
        wait.Until(d => !Rows(d).Any(r => r.Host == "beta.example.org"));
        app.App.Services.GetRequiredService<PeerManager>().GetPeerDetail(PeerHost.Parse("beta.example.org")).Should().BeNull();
        driver.FindElement(By.Id("error")).Text.Should().BeEmpty();
    }

    private static Task<KestrelApp> StartAsync() => KestrelApp.StartAsync(
        map: app => app.MapPeerManagementDashboard(),
        services: s =>
        {
            OperatorAuthentication.Register(s, enableActions: true, trustLoopback: true);
            s.Configure<RateLimitingOptions>(o => o.Enabled = false);
            SeededNode.Register(s);
        });

    private static ChromeDriver StartBrowser()
    {
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriverPath)!, Path.GetFileName(ChromeDriverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments(
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1200,760",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            // Every name but the loopback address resolves to nothing: the browser can reach no other host.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1");
        return new ChromeDriver(service, options, Bound);
    }

    private static string Count(IWebDriver driver, string status) => driver.FindElement(By.Id("count-" + status)).Text;

    private static string Script(IWebDriver driver, string script) => (string)((IJavaScriptExecutor)driver).ExecuteScript(script)!;

    /// <summary>The rows as the page shows them, read in one step (the page re-renders while it is read).</summary>
    private static List<(string Host, string Status)> Rows(IWebDriver driver)
        => [.. Script(driver, "return Array.from(document.querySelectorAll('#peers tr')).map(r => r.dataset.host + '|' + r.dataset.status).join('\\n')")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => (line.Split('|')[0], line.Split('|')[1]))];

    private static void SaveScreenshot(ITakesScreenshot driver)
        => driver.GetScreenshot().SaveAsFile(Path.Combine(AppContext.BaseDirectory, "console.png"));
}
