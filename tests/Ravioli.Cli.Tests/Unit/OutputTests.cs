using Ravioli.Cli.Commands.Session;
using Ravioli.Cli.Http;
using Ravioli.Cli.Output;

namespace Ravioli.Cli.Tests.Unit;

public sealed class OutputTests
{
    [Fact]
    public void TablePrinter_AlignsColumnsWithoutTrailingSpaces()
    {
        using var writer = new StringWriter();

        TablePrinter.Write(writer, ["name", "state"], [["web", "started"], ["a-long-name", "stopped"]]);

        Assert.Equal(
            ["name          state", "web           started", "a-long-name   stopped"],
            writer.ToString().ReplaceLineEndings("\n").TrimEnd('\n').Split('\n'));
    }

    [Theory]
    [InlineData("127.0.0.1:8080", "http://127.0.0.1:8080")]
    [InlineData("localhost:8080/", "http://localhost:8080")]
    [InlineData("api.example.com", "https://api.example.com")]
    [InlineData("http://10.0.0.1:8080/", "http://10.0.0.1:8080")]
    public void ApiUrls_Normalize_AddsSchemeAndDropsTrailingSlash(string text, string url)
        => Assert.Equal(url, ApiUrls.Normalize(text));

    [Theory]
    [InlineData("ftp://example.com")]
    [InlineData("http://bad host:8080")]
    public void ApiUrls_Normalize_RejectsWhatIsNotAnHttpUrl(string text)
        => Assert.Throws<CliException>(() => ApiUrls.Normalize(text));

    [Theory]
    [InlineData("/v3/spaces?page=2", "http://127.0.0.1:8080/v3/spaces?page=2")]
    [InlineData("http://127.0.0.1:8080/v3/spaces?page=2", "http://127.0.0.1:8080/v3/spaces?page=2")]
    [InlineData("http://evil.example/v3/spaces?page=2", "http://127.0.0.1:8080/v3/spaces?page=2")]
    public void ApiClient_Resolve_KeepsRequestsOnTheApiHost(string link, string url)
        => Assert.Equal(new Uri(url), ApiClient.Resolve("http://127.0.0.1:8080", link));
}
