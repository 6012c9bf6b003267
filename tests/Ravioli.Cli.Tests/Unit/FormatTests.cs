using Ravioli.Cli.Commands;
using Ravioli.Cli.Commands.Logs;
using Ravioli.Cli.Commands.Push;
using Ravioli.Cli.Commands.Routes;
using Ravioli.Cli.Model;
using Ravioli.Cli.Output;

namespace Ravioli.Cli.Tests.Unit;

public sealed class FormatTests
{
    [Theory]
    [InlineData(0L, "0B")]
    [InlineData(512L, "512B")]
    [InlineData(1024L, "1K")]
    [InlineData(12595L, "12.3K")]
    [InlineData(31457280L, "30M")]
    [InlineData(268435456L, "256M")]
    [InlineData(1073741824L, "1G")]
    [InlineData(1610612736L, "1.5G")]
    public void ByteSize_Format_UsesCfsUnits(long bytes, string text) => Assert.Equal(text, ByteSize.Format(bytes));

    [Theory]
    [InlineData("out", "2026-11-21T20:00:00.12+0000 [APP/PROC/WEB/0] OUT listening on 61003")]
    [InlineData("err", "2026-11-21T20:00:00.12+0000 [APP/PROC/WEB/0] ERR listening on 61003")]
    public void LogFormat_Line_LooksLikeCfs(string stream, string line)
        => Assert.Equal(line, LogFormat.Line(new LogEntry(DateTimeOffset.Parse("2026-11-21T20:00:00.123Z"), "APP/PROC/WEB", "0", stream, "listening on 61003\n")));

    [Fact]
    public void LogFormat_Line_WithoutInstance_ShowsOnlyTheSource()
        => Assert.Equal(
            "2026-11-21T20:00:01.50+0000 [API] OUT Updated app",
            LogFormat.Line(new LogEntry(DateTimeOffset.Parse("2026-11-21T21:00:01.5+01:00"), "API", "", "out", "Updated app")));

    [Theory]
    [InlineData("""{"timestamp": "2026-11-21T20:00:00.123Z", "source_type": "APP/PROC/WEB", "instance": 3, "stream": "err", "message": "boom"}""", "2026-11-21T20:00:00.12+0000 [APP/PROC/WEB/3] ERR boom")]
    [InlineData("""{"timestamp": "yesterday", "source_type": "STG", "message": "-----> Installing"}""", "1970-01-01T00:00:00.00+0000 [STG] OUT -----> Installing")]
    [InlineData("""{}""", "1970-01-01T00:00:00.00+0000 [UNKNOWN] OUT ")]
    public void LogFormat_Read_IsLenientAboutOddFields(string json, string line)
        => Assert.Equal(line, LogFormat.Line(LogFormat.Read(System.Text.Json.JsonDocument.Parse(json).RootElement)));

    [Theory]
    [InlineData("hello", "hello")]
    [InlineData("Hello_World 2", "hello-world-2")]
    [InlineData("--weird--", "weird")]
    [InlineData("___", "app")]
    public void RouteHosts_FromAppName_MakesADnsLabel(string name, string host) => Assert.Equal(host, RouteHosts.FromAppName(name));

    [Fact]
    public void RouteHosts_Random_IsTheNamePlusTwoWordsAndFitsALabel()
    {
        Assert.Matches("^shop-[a-z]+-[a-z]+$", RouteHosts.Random("shop"));
        var longest = RouteHosts.Random(new string('x', 100));
        Assert.True(longest.Length <= 63, longest);
        Assert.Matches("^x+-[a-z]+-[a-z]+$", longest);
    }

    [Theory]
    [InlineData(null, "shop.apps.localhost", "http://shop.apps.localhost:8081/")]
    [InlineData(null, "shop.apps.localhost/api", "http://shop.apps.localhost:8081/api")]
    [InlineData("http://127.0.0.1:9090", "shop.apps.localhost", "http://shop.apps.localhost:9090/")]
    [InlineData("https://router.example.com", "shop.example.com", "https://shop.example.com/")]
    [InlineData("http://router:80/", "shop.example.com", "http://shop.example.com/")]
    public void RouterAddress_UrlOf_UsesTheRoutersSchemeAndPort(string? router, string route, string url)
    {
        var address = RouterAddress.FromUrl(router) ?? new RouterAddress("http", RouterAddress.DefaultPort);

        Assert.Equal(url, address.UrlOf(route));
    }

    [Theory]
    [InlineData("api", "/api")]
    [InlineData("/api/", "/api")]
    [InlineData("/", "")]
    [InlineData(null, "")]
    [InlineData("/v1/items", "/v1/items")]
    public void RouteOptions_NormalizePath(string? path, string normalized) => Assert.Equal(normalized, RouteOptions.NormalizePath(path));

    [Theory]
    [InlineData("256M", 256L)]
    [InlineData("1G", 1024L)]
    [InlineData("64", 64L)]
    public void Limits_ParseSize_AcceptsSizes(string text, long megabytes) => Assert.Equal(megabytes, Limits.ParseSize(text, "-m"));

    [Theory]
    [InlineData("unlimited")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("lots")]
    public void Limits_ParseSize_RefusesWhatIsNotASize(string text)
        => Assert.Contains("-m", Assert.Throws<CliException>(() => Limits.ParseSize(text, "-m")).Message);
}
