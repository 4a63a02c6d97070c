package dev.finetune.vblora.savedmodel.export;

import dev.finetune.vblora.savedmodel.adapter.AdapterHead;
import dev.finetune.vblora.savedmodel.adapter.PeftAdapter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tensors of an adapter file that a merge cannot put into the model. A merge applies each adapted module's
 * update and one head: a Linear layer saved as PEFT saves BertForSequenceClassification's classifier with
 * modules_to_save ({@value AdapterHead#WEIGHT_KEY} and {@value AdapterHead#BIAS_KEY}, both). Anything else PEFT can
 * save beside them (another head's layers, such as RoBERTa's classifier.dense and classifier.out_proj, or a
 * "score" head; resized embeddings; a LoRA adapter's biases trained with bias="all", lora_embedding or
 * lora_B.bias; a tensor a newer PEFT added) would be left out of the merged model without a word, and it would
 * serve something other than what was trained.
 */
final class UnplacedTensors {
  /** What to say about them: what a merge places, and what to do instead. */
  static final String ADVICE = "a merge applies the adapted modules' updates and a head saved as "
      + AdapterHead.WEIGHT_KEY + " and " + AdapterHead.BIAS_KEY + " (a Linear head, as PEFT saves"
      + " BertForSequenceClassification's classifier), and the merged model would lack the rest; save the adapter"
      + " without them (in PEFT: modules_to_save=None, bias=\"none\", save_embedding_layers=False) or apply it"
      + " with PEFT";

  private UnplacedTensors() {}

  /** The full keys of {@code adapter}'s tensors that a merge cannot place, in file order; empty when none. */
  static List<String> of(PeftAdapter adapter) {
    Map<String, ?> others = adapter.otherTensors();
    boolean wholeHead = others.containsKey(AdapterHead.WEIGHT_KEY) && others.containsKey(AdapterHead.BIAS_KEY);
    List<String> unplaced = new ArrayList<>();
    for (String key : others.keySet()) {
      boolean head = key.equals(AdapterHead.WEIGHT_KEY) || key.equals(AdapterHead.BIAS_KEY);
      if (!head || !wholeHead) {
        unplaced.add(key);
      }
    }
    return unplaced;
  }
}
