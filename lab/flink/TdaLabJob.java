import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;

/**
 * The lab's Flink jobs (lab-only), built by tools/flink-dist.sh: "datagen" streams generated
 * rows into a blackhole, checkpointed; "failing" divides by zero on its first row, so Flink's
 * restart strategy restarts it in a loop.
 */
public final class TdaLabJob {
    private TdaLabJob() {
    }

    public static void main(String[] args) throws Exception {
        String kind = args.length > 0 ? args[0] : "datagen";
        TableEnvironment tables = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        tables.getConfig().set("pipeline.name", "tda-lab-" + kind);
        tables.executeSql("CREATE TABLE points (id INT, x DOUBLE) WITH ('connector' = 'datagen', "
            + "'rows-per-second' = '" + ("failing".equals(kind) ? "1" : "50") + "')");
        tables.executeSql("CREATE TABLE sink (id INT, x DOUBLE) WITH ('connector' = 'blackhole')");
        String id = "failing".equals(kind) ? "id / (id - id)" : "id";
        tables.executeSql("INSERT INTO sink SELECT " + id + ", x FROM points");
    }
}
