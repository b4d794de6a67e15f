// Calling libbaomi_ffi.so from Java through JNA (Debian: libjna-java;
// Maven: net.java.dev.jna:jna). Java 22+ can do the same with the FFM API
// (java.lang.foreign) and no dependency; see the README.
//
//   javac -cp /usr/share/java/jna.jar BaomiScan.java
//   java -cp /usr/share/java/jna.jar:. -Djna.library.path=target/release BaomiScan FILE...
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.nio.charset.StandardCharsets;

public class BaomiScan {
    public interface Baomi extends Library {
        Baomi LIB = Native.load("baomi_ffi", Baomi.class);
        int baomi_scanner_new(PointerByReference out);
        void baomi_scanner_free(Pointer scanner);
        int baomi_scan_text(Pointer scanner, Pointer text, long len, String name,
                            IntByReference verdict, PointerByReference json);
        int baomi_review_file(Pointer scanner, String path, IntByReference verdict,
                              PointerByReference json);
        void baomi_string_free(Pointer s);
        String baomi_last_error();
    }

    static String take(PointerByReference json) {
        Pointer p = json.getValue();
        String s = p.getString(0, "UTF-8");
        Baomi.LIB.baomi_string_free(p);
        return s;
    }

    public static void main(String[] args) {
        Baomi b = Baomi.LIB;
        PointerByReference ref = new PointerByReference();
        if (b.baomi_scanner_new(ref) != 0) throw new RuntimeException(b.baomi_last_error());
        Pointer scanner = ref.getValue();
        byte[] text = "关于报送材料的通知\n本件机密★5年，请妥善保管。\n".getBytes(StandardCharsets.UTF_8);
        Memory buf = new Memory(text.length);
        buf.write(0, text, 0, text.length);
        IntByReference verdict = new IntByReference();
        PointerByReference json = new PointerByReference();
        if (b.baomi_scan_text(scanner, buf, text.length, "draft.txt", verdict, json) != 0)
            throw new RuntimeException(b.baomi_last_error());
        System.out.println("text: verdict " + verdict.getValue());
        System.out.println(take(json));
        for (String path : args) {
            if (b.baomi_review_file(scanner, path, verdict, json) != 0)
                throw new RuntimeException(b.baomi_last_error());
            System.out.println(path + ": verdict " + verdict.getValue());
            System.out.println(take(json));
        }
        b.baomi_scanner_free(scanner);
    }
}
