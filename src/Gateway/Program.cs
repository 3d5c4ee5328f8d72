using Crm.Gateway.Agents;
using Crm.Gateway.Hosting;

// First-run setup from a shell: creates a workspace and its owner, then exits.
if (CreateOwnerCommand.IsRequested(args)) return await CreateOwnerCommand.RunAsync(args, Console.Out, Console.Error);

var builder = WebApplication.CreateBuilder(args);
builder.AddCrm();

var app = builder.Build();
app.MapCrm();
app.Run();
return 0;

// Lets the functional tests host the real pipeline with WebApplicationFactory<Program>.
public partial class Program;
