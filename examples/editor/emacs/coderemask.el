;;; coderemask.el --- fix or complete the Python function at point with coderemask -*- lexical-binding: t -*-

;; Talks to `coderemask editor' (the JSON-lines protocol in examples/editor/PROTOCOL.md), started
;; once per Emacs session so the model loads once.  The buffer's text is sent as it is (unsaved
;; edits included).  The answer is shown as a diff and applied only when you say yes, as one
;; undoable change to the buffer.  This package never writes the file.  Needs Emacs 27+.

;;; Code:

(require 'json)
(require 'subr-x)

(defgroup coderemask nil "Repair Python functions with coderemask." :group 'tools)

(defcustom coderemask-command '("coderemask" "editor")
  "Command that starts the coderemask editor server (add \"--model\" \"M\" for another model)."
  :type '(repeat string))

(defcustom coderemask-budget nil
  "Budget sent with each request, e.g. ((max_rounds . 8) (max_nfe . 512) (timeout . 300))."
  :type '(alist :key-type symbol :value-type number))

(defvar coderemask-confirm-function #'coderemask--confirm
  "Called with the diff text; returns non-nil to apply the change.")

(defvar coderemask--process nil)
(defvar coderemask--pending (make-hash-table :test 'eql) "Request id -> (buffer . tick).")
(defvar coderemask--next-id 0)
(defvar coderemask--partial "")

(defun coderemask--confirm (diff)
  "Show DIFF and ask whether to apply it."
  (let ((buf (get-buffer-create "*coderemask diff*")))
    (with-current-buffer buf
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert diff)
        (diff-mode)))
    (display-buffer buf)
    (y-or-n-p "coderemask: apply this change? ")))

(defun coderemask--apply (entry result)
  "Replace the function of ENTRY's buffer with RESULT's text, if the buffer did not change."
  (let ((buf (car entry)) (tick (cdr entry)))
    (when (buffer-live-p buf)
      (with-current-buffer buf
        (if (/= tick (buffer-chars-modified-tick))
            (message "coderemask: the buffer changed while it worked; not applied (run it again)")
          (let* ((range (gethash "range" result))
                 (start (coderemask--point (gethash "start" range)))
                 (end (coderemask--point (gethash "end" range))))
            (undo-boundary)  ; delete + insert form one undoable change
            (save-excursion
              (goto-char start)
              (delete-region start end)
              (insert (gethash "text" result)))
            (undo-boundary)
            (message "coderemask: %s" (gethash "summary" result))))))))

(defun coderemask--point (pos)
  "Buffer position of POS, a hash with 0-based \"line\" and code-point \"character\"."
  (save-excursion
    (goto-char (point-min))
    (forward-line (gethash "line" pos))
    (+ (point) (gethash "character" pos))))

(defun coderemask--handle (obj)
  "Handle one response OBJ (a hash table) from the server."
  (let* ((id (gethash "id" obj)) (entry (gethash id coderemask--pending)) (event (gethash "event" obj)))
    (when entry
      (cond
       ((equal event "progress")
        (message "coderemask: round %s: %s" (gethash "round" obj)
                 (if (eq (gethash "parses" obj) t) "parses" "does not parse")))
       (t
        (remhash id coderemask--pending)
        (cond
         ((equal event "error")
          (message "coderemask: %s: %s" (gethash "code" obj) (gethash "message" obj)))
         ((not (equal (gethash "status" obj) "solved"))
          (message "coderemask: %s" (gethash "summary" obj)))
         ((funcall coderemask-confirm-function (gethash "diff" obj))
          (coderemask--apply entry obj))
         (t (message "coderemask: discarded"))))))))

(defun coderemask--filter (_proc output)
  "Split OUTPUT into JSON lines and handle each."
  (setq coderemask--partial (concat coderemask--partial output))
  (let ((lines (split-string coderemask--partial "\n")))
    (setq coderemask--partial (car (last lines)))
    (dolist (line (butlast lines))
      (unless (string-empty-p line)
        (coderemask--handle (json-parse-string line :null-object nil :false-object :false))))))

(defun coderemask--ensure-process ()
  "The running server process, started if needed."
  (unless (process-live-p coderemask--process)
    (setq coderemask--partial "")
    (setq coderemask--process
          (make-process :name "coderemask" :command coderemask-command :connection-type 'pipe
                        :noquery t :stderr (get-buffer-create "*coderemask stderr*")
                        :filter #'coderemask--filter)))
  coderemask--process)

(defun coderemask--request (mode)
  "Send a MODE request for the function at point; return its id."
  (let* ((id (setq coderemask--next-id (1+ coderemask--next-id)))
         (request `((id . ,id) (mode . ,mode) (file . ,(or (buffer-file-name) (buffer-name)))
                    (text . ,(buffer-substring-no-properties (point-min) (point-max)))
                    (line . ,(line-number-at-pos)))))
    (when coderemask-budget (setq request (append request `((budget . ,coderemask-budget)))))
    (puthash id (cons (current-buffer) (buffer-chars-modified-tick)) coderemask--pending)
    (process-send-string (coderemask--ensure-process) (concat (json-encode request) "\n"))
    (message "coderemask: %s started" mode)
    id))

(defun coderemask-pending-p ()
  "Non-nil while a request waits for its answer."
  (> (hash-table-count coderemask--pending) 0))

;;;###autoload
(defun coderemask-fix-function ()
  "Repair the Python function at point (its tests decide); apply the fix after you confirm."
  (interactive)
  (coderemask--request "fix"))

;;;###autoload
(defun coderemask-complete-function ()
  "Write the body of the stub function at point; apply it after you confirm."
  (interactive)
  (coderemask--request "complete"))

(provide 'coderemask)
;;; coderemask.el ends here
