using System.Text.Json;
using Ravioli.Cli.Commands.Env;
using Ravioli.Cli.Commands.Marketplace;
using Ravioli.Cli.Commands.Services;
using Ravioli.Cli.Http;
using Ravioli.Cli.Model;
using Ravioli.Cli.Output;

namespace Ravioli.Cli.Tests.Unit;

public sealed class ServiceArgumentsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rav-json-arg-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void JsonArgument_Inline_IsTheObject()
        => Assert.Equal("""{"size":"small","n":2}""", JsonArgument.Read("""{"size":"small","n":2}""", "-c", _directory)!.ToJsonString());

    [Fact]
    public void JsonArgument_NotGiven_IsNull()
        => Assert.Null(JsonArgument.Read(null, "-c", _directory));

    [Fact]
    public void JsonArgument_AFile_RelativeToTheWorkingDirectory_IsRead()
    {
        File.WriteAllText(Path.Combine(_directory, "params.json"), """{ "from": "file" }""");

        Assert.Equal("""{"from":"file"}""", JsonArgument.Read("params.json", "-c", _directory)!.ToJsonString());
    }

    [Theory]
    [InlineData("""{"size": "small",}""", "The JSON given with -c is not valid JSON: ")]
    [InlineData("""{"size": small}""", "(line 1, column 10)")]
    [InlineData("""[1, 2]""", "The JSON given with -c must be a JSON object such as '{\"name\":\"value\"}', not an array.")]
    [InlineData("size=small", "-c 'size=small' is neither a JSON object nor a file.")]
    public void JsonArgument_Invalid_SaysWhatIsWrong(string value, string message)
    {
        var error = Assert.ThrowsAny<CliException>(() => JsonArgument.Read(value, "-c", _directory));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void JsonArgument_Invalid_SaysWhereInPlainWords()
    {
        var error = Assert.ThrowsAny<CliException>(() => JsonArgument.Read("{\"encoding\": UTF8}", "-c", _directory));

        Assert.Equal(
            "The JSON given with -c is not valid JSON: 'U' is an invalid start of a value (line 1, column 14). Give a JSON object, e.g. '{\"name\":\"value\"}'.",
            error.Message);
    }

    [Fact]
    public void JsonArgument_AFileWithBadJson_NamesTheFile()
    {
        File.WriteAllText(Path.Combine(_directory, "broken.json"), "{ nope");

        var error = Assert.ThrowsAny<CliException>(() => JsonArgument.Read("broken.json", "-c", _directory));

        Assert.StartsWith("broken.json (given with -c) is not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("db, primary ,, db", new[] { "db", "primary" })]
    [InlineData("", new string[0])]
    public void ServiceTags_Parse_SplitsOnCommas(string text, string[] tags)
        => Assert.Equal(tags, ServiceTags.Parse(text));

    [Fact]
    public void UserProvidedCredentials_Names_AreAskedFor_WithoutEcho()
    {
        using var output = new StringWriter();
        var asked = new Queue<string>(["admin", "s3cret"]);
        var ui = new Ui(new CliEnvironment
        {
            Out = output,
            Err = TextWriter.Null,
            Home = _directory,
            IsInteractive = true,
            ReadSecret = () => asked.Dequeue(),
        });

        var credentials = UserProvidedOptions.ReadCredentials("username, password", ui, _directory);

        Assert.Equal("""{"username":"admin","password":"s3cret"}""", credentials.ToJsonString());
        Assert.Equal("username> password> ", output.ToString());
    }

    [Fact]
    public void UserProvidedCredentials_Names_WithoutATerminal_AskForJson()
    {
        var ui = new Ui(new CliEnvironment { Out = TextWriter.Null, Err = TextWriter.Null, Home = _directory });

        var error = Assert.ThrowsAny<CliException>(() => UserProvidedOptions.ReadCredentials("username, password", ui, _directory));

        Assert.StartsWith("Cannot ask for the values of username, password because input is not a terminal.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Costs_FromThePlansMetadata_ReadLikeCf()
    {
        var plan = Json.Resource<ServicePlanResource>(JsonSerializer.Deserialize<JsonElement>(
            """{"guid": "g", "name": "large", "broker_catalog": {"metadata": {"costs": [{"amount": {"usd": 12.5, "eur": 11}, "unit": "MONTHLY"}]}}}"""));

        Assert.Equal("USD 12.50/MONTHLY, EUR 11.00/MONTHLY", MarketplaceCommand.Costs(plan));
    }

    [Theory]
    [InlineData("""{"type": "create", "state": "in progress", "description": "Copying data"}""", "   create in progress: Copying data")]
    [InlineData("""{"type": "delete", "state": "succeeded", "description": null}""", "   delete succeeded")]
    public void Operation_Describe_IsOneLinePerChange(string operation, string line)
        => Assert.Equal(line, ServiceOperations.Describe(Json.As<LastOperation>(JsonSerializer.Deserialize<JsonElement>(operation))));

    [Fact]
    public void Env_Pretty_IndentsVcapServices_EvenWhenSentAsAString()
    {
        var asString = JsonSerializer.Deserialize<JsonElement>("\"{\\\"db\\\":[{\\\"name\\\":\\\"mydb\\\"}]}\"");

        Assert.Equal("{\n  \"db\": [\n    {\n      \"name\": \"mydb\"\n    }\n  ]\n}", EnvCommand.Pretty(asString).ReplaceLineEndings("\n"));
    }
}
